package org.o365mail.imap.internal;

import java.util.Locale;

/** Mailbox addresses in log lines: shown only when the builder's {@code logPii(true)} asked for them. */
public final class Pii {
  private Pii() {}

  /** {@code support@contoso.com}, or {@code s***@contoso.com} when PII is off. */
  public static String mailbox(String address, boolean logPii) {
    if (logPii || address == null) {
      return String.valueOf(address);
    }
    int at = address.indexOf('@');
    if (at <= 0) {
      return "***";
    }
    return address.substring(0, 1) + "***" + address.substring(at).toLowerCase(Locale.ROOT);
  }
}
