package org.o365mail.imap.internal;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which mailboxes each app's Exchange service principal has let it log in to (IMAP or SMTP) in this JVM, by
 * tenant, client id and enterprise-application object id. Used only to sharpen a diagnosis: when an app that
 * logged in to one mailbox is refused by another, its service principal exists and the mailbox permission is what
 * is missing. A refusal by a mailbox the app used to open says only that something changed, so it does not count.
 * Holds ids and addresses, never tokens. Thread-safe.
 */
public final class ExchangeLogins {
  private static final Map<String, Set<String>> MAILBOXES = new ConcurrentHashMap<>();

  private ExchangeLogins() {}

  public static void succeeded(String tenantId, String clientId, String objectId, String mailbox) {
    MAILBOXES.computeIfAbsent(key(tenantId, clientId, objectId), k -> ConcurrentHashMap.newKeySet())
        .add(mailbox.toLowerCase(Locale.ROOT));
  }

  /** Whether the app has logged in to a mailbox other than {@code mailbox}. */
  public static boolean knownElsewhere(String tenantId, String clientId, String objectId, String mailbox) {
    Set<String> opened = MAILBOXES.get(key(tenantId, clientId, objectId));
    if (opened == null) {
      return false;
    }
    String refused = mailbox.toLowerCase(Locale.ROOT);
    return opened.stream().anyMatch(m -> !m.equals(refused));
  }

  /** Whether the app has logged in to {@code mailbox} itself before. */
  public static boolean openedBefore(String tenantId, String clientId, String objectId, String mailbox) {
    Set<String> opened = MAILBOXES.get(key(tenantId, clientId, objectId));
    return opened != null && opened.contains(mailbox.toLowerCase(Locale.ROOT));
  }

  /** What the app's earlier logins say about a refusal by {@code mailbox}. */
  public static ExchangeDiagnoses.Evidence evidence(String tenantId, String clientId, String objectId, String mailbox) {
    if (knownElsewhere(tenantId, clientId, objectId, mailbox)) {
      return ExchangeDiagnoses.Evidence.PRINCIPAL_WORKS_ELSEWHERE;
    }
    return openedBefore(tenantId, clientId, objectId, mailbox) ? ExchangeDiagnoses.Evidence.MAILBOX_OPENED_BEFORE
        : ExchangeDiagnoses.Evidence.NONE;
  }

  private static String key(String tenantId, String clientId, String objectId) {
    return (tenantId + "|" + clientId + "|" + objectId).toLowerCase(Locale.ROOT);
  }
}
