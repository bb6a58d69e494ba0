package org.o365mail.testkit;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** Names shaped like those of Exchange Online front-end servers, for greetings and diagnostic texts. */
final class ExchangeHosts {
  private static final String[] REGIONS = {"AM", "DB", "LO", "BN", "CH", "SN"};

  private ExchangeHosts() {}

  /** A server name such as {@code AM6PR04CA0012.EURPRD04.PROD.OUTLOOK.COM}, different on each call. */
  static String serverName() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    String region = REGIONS[r.nextInt(REGIONS.length)];
    int ring = r.nextInt(1, 100);
    return String.format(Locale.ROOT, "%s%dPR%02dCA%04d.%sPRD%02d.PROD.OUTLOOK.COM",
        region, r.nextInt(1, 10), ring, r.nextInt(10_000),
        region.equals("BN") || region.equals("CH") || region.equals("SN") ? "NAM" : "EUR", ring);
  }

  /** The bracketed diagnostic Exchange appends to SMTP failures: server, time and a request id. */
  static String diagnostic(String server, Instant now) {
    return "[" + server + " " + now.truncatedTo(ChronoUnit.MILLIS) + " "
        + String.format(Locale.ROOT, "%016X", ThreadLocalRandom.current().nextLong()) + "]";
  }
}
