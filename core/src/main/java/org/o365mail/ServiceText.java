package org.o365mail;

import java.util.Locale;

/**
 * Text a server or a sender wrote (Entra ID's {@code error_description}, a Graph or IMAP message, a subject, a
 * Message-ID, a folder name), made safe for one log line or exception message: CR, LF, the other C0 controls, DEL,
 * the C1 controls and U+2028/U+2029 are shown escaped ({@code \r}, {@code \n}, or a six-character Unicode escape
 * such as ESC's), and a backslash is doubled, so that such text can neither split a log record nor forge one, nor
 * send escape sequences to a terminal, and the length is bounded. The one helper for this in core and the adapters;
 * not for JSON output or data handed to the application, which stay exact. Use it for service text in your own
 * logs too. Stateless and thread-safe.
 */
public final class ServiceText {
  /** Longest text kept; Entra's descriptions are a few hundred characters. */
  static final int LIMIT = 1000;

  private static final char LINE_SEPARATOR = (char) 0x2028;
  private static final char PARAGRAPH_SEPARATOR = (char) 0x2029;

  private ServiceText() {}

  /** {@code text} with every control character escaped and at most {@value #LIMIT} characters kept. */
  public static String printable(String text) {
    if (text == null) {
      return "";
    }
    int end = Math.min(text.length(), LIMIT);
    StringBuilder b = new StringBuilder(end + 16);
    for (int i = 0; i < end; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\r' -> b.append("\\r");
        case '\n' -> b.append("\\n");
        case '\t' -> b.append("\\t");
        case '\\' -> b.append("\\\\");
        default -> {
          if (Character.isISOControl(c) || c == LINE_SEPARATOR || c == PARAGRAPH_SEPARATOR) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    if (text.length() > end) {
      b.append("...");
    }
    return b.toString();
  }

  /**
   * The first line of an Entra ID {@code error_description} (the AADSTS code and its text), without the {@code
   * Trace ID}, {@code Correlation ID} and {@code Timestamp} lines that follow it, escaped as by {@link #printable}.
   */
  public static String firstLine(String description) {
    if (description == null) {
      return "";
    }
    String text = description;
    int cut = text.length();
    for (String end : new String[] {"\r", "\n", "Trace ID:"}) {
      int at = text.indexOf(end);
      if (at >= 0 && at < cut) {
        cut = at;
      }
    }
    return printable(text.substring(0, cut).strip());
  }
}
