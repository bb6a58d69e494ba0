package org.o365mail.imap.internal;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Which mailboxes each app's Exchange service principal has let it log in to (IMAP or SMTP), as seen by the
 * connectors sharing this object, by tenant, client id and enterprise-application object id. Used only to sharpen
 * a diagnosis: when an app that logged in to one mailbox is refused by another, its service principal exists and
 * the mailbox permission is what is missing. A refusal by a mailbox the app used to open says only that something
 * changed, so it does not count. Holds at most {@code maxLogins} (app, mailbox) pairs, forgetting the least
 * recently used first; holds ids and addresses, never tokens. Thread-safe.
 */
public final class ExchangeLogins {
  private final Map<String, Boolean> logins;

  /** @param maxLogins the most (app, mailbox) pairs remembered at once */
  public ExchangeLogins(int maxLogins) {
    if (maxLogins < 1) {
      throw new IllegalArgumentException("maxLogins must be at least 1, was " + maxLogins);
    }
    this.logins = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
        return size() > maxLogins;
      }
    };
  }

  public void succeeded(String tenantId, String clientId, String objectId, String mailbox) {
    synchronized (logins) {
      logins.put(key(tenantId, clientId, objectId) + mailbox.toLowerCase(Locale.ROOT), Boolean.TRUE);
    }
  }

  /** Whether the app has logged in to a mailbox other than {@code mailbox}. */
  public boolean knownElsewhere(String tenantId, String clientId, String objectId, String mailbox) {
    String app = key(tenantId, clientId, objectId);
    String refused = app + mailbox.toLowerCase(Locale.ROOT);
    synchronized (logins) {
      return logins.keySet().stream().anyMatch(k -> k.startsWith(app) && !k.equals(refused));
    }
  }

  /** Whether the app has logged in to {@code mailbox} itself before. */
  public boolean openedBefore(String tenantId, String clientId, String objectId, String mailbox) {
    synchronized (logins) {
      return logins.containsKey(key(tenantId, clientId, objectId) + mailbox.toLowerCase(Locale.ROOT));
    }
  }

  /** What the app's earlier logins say about a refusal by {@code mailbox}. */
  public ExchangeDiagnoses.Evidence evidence(String tenantId, String clientId, String objectId, String mailbox) {
    if (knownElsewhere(tenantId, clientId, objectId, mailbox)) {
      return ExchangeDiagnoses.Evidence.PRINCIPAL_WORKS_ELSEWHERE;
    }
    return openedBefore(tenantId, clientId, objectId, mailbox) ? ExchangeDiagnoses.Evidence.MAILBOX_OPENED_BEFORE
        : ExchangeDiagnoses.Evidence.NONE;
  }

  /** How many (app, mailbox) pairs are remembered now. */
  public int size() {
    synchronized (logins) {
      return logins.size();
    }
  }

  /** The app's part of a key; a line feed cannot occur in an id, so no app's key is another's prefix. */
  private static String key(String tenantId, String clientId, String objectId) {
    return (tenantId + "|" + clientId + "|" + objectId).toLowerCase(Locale.ROOT) + "\n";
  }
}
