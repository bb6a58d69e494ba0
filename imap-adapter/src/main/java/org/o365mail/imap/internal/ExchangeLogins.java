package org.o365mail.imap.internal;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which apps' Exchange service principals have let them log in (IMAP or SMTP) in this JVM, by tenant, client id
 * and enterprise-application object id. Used only to sharpen a diagnosis: when an app that logged in to one
 * mailbox is refused by another, its service principal exists and the mailbox permission is what is missing.
 * Holds ids, never tokens. Thread-safe.
 */
public final class ExchangeLogins {
  private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();

  private ExchangeLogins() {}

  public static void succeeded(String tenantId, String clientId, String objectId) {
    KNOWN.add(key(tenantId, clientId, objectId));
  }

  public static boolean known(String tenantId, String clientId, String objectId) {
    return KNOWN.contains(key(tenantId, clientId, objectId));
  }

  private static String key(String tenantId, String clientId, String objectId) {
    return (tenantId + "|" + clientId + "|" + objectId).toLowerCase(Locale.ROOT);
  }
}
