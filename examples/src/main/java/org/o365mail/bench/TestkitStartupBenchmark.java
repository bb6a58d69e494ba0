package org.o365mail.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.o365mail.testkit.LocalTenant;

/**
 * How long the local tenant takes to be up (identity endpoint over HTTPS with a fresh certificate, Graph stand-in,
 * IMAP and SMTP fronts, all on ephemeral loopback ports): the first start in this JVM, which pays for class loading
 * and key generation, then {@code runs} more. Prints each figure against the 3 s target.
 *
 * <pre>mvn -q package -DskipTests && java -cp examples/target/o365mail.jar org.o365mail.bench.TestkitStartupBenchmark [runs]</pre>
 */
public final class TestkitStartupBenchmark {
  private static final Duration TARGET = Duration.ofSeconds(3);

  private TestkitStartupBenchmark() {}

  public static void main(String[] args) {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Duration first = startOnce();
    List<Duration> warm = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      warm.add(startOnce());
    }
    Collections.sort(warm);
    Duration median = warm.get(warm.size() / 2);
    Duration worst = warm.get(warm.size() - 1);
    System.out.printf(Locale.ROOT, "local tenant startup: first %d ms (%.1f%% of the %d s target); then over %d"
        + " starts median %d ms, worst %d ms%n", first.toMillis(), 100.0 * first.toMillis() / TARGET.toMillis(),
        TARGET.toSeconds(), runs, median.toMillis(), worst.toMillis());
  }

  private static Duration startOnce() {
    // timed from outside: what a test waits for, which includes the tenant's own startupTime()
    long begin = System.nanoTime();
    LocalTenant m365 = LocalTenant.start();
    Duration took = Duration.ofNanos(System.nanoTime() - begin);
    m365.close();
    return took;
  }
}
