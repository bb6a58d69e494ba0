package org.o365mail.bench;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.o365mail.MailboxConnector;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.micrometer.MailboxTagging;
import org.o365mail.micrometer.O365MailMetrics;
import org.o365mail.testing.InMemoryMailboxConnector;

/**
 * What the meters cost an import, measured where nothing hides them: an in-memory mailbox (no network, no disk), the
 * importer with a memory checkpoint store, a handler that only counts. The same import with {@link O365MailMetrics}
 * (a timed connector, an import listener, a hashed mailbox tag, a {@code SimpleMeterRegistry}) and without, taking
 * turns for {@code rounds} rounds after one warm-up each; prints each way's median CPU time of the importing thread
 * and their ratio. Over Graph or
 * IMAP every call waits for the network, so this is the worst case.
 *
 * <pre>java -cp examples/target/o365mail.jar org.o365mail.bench.MetricsOverheadBenchmark [messages] [rounds]</pre>
 */
public final class MetricsOverheadBenchmark {
  /** The import runs on the calling thread: its CPU time, which other work on a shared machine does not inflate. */
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

  private MetricsOverheadBenchmark() {}

  public static void main(String[] args) {
    int messages = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    List<Long> plain = new ArrayList<>();
    List<Long> metered = new ArrayList<>();
    run(messages, false);
    run(messages, true);
    for (int i = 0; i < rounds; i++) {
      plain.add(run(messages, false));
      metered.add(run(messages, true));
    }
    double a = median(plain) / 1e6;
    double b = median(metered) / 1e6;
    System.out.printf("%,d messages, median of %d: without metrics %.1f ms CPU (%,.0f msgs/s), with metrics %.1f ms"
        + " CPU (%,.0f msgs/s): %.2fx%n", messages, rounds, a, messages / a * 1000, b, messages / b * 1000, b / a);
  }

  /** One import of a new mailbox of {@code messages} messages; returns the CPU nanoseconds of its thread. */
  private static long run(int messages, boolean withMetrics) {
    InMemoryMailboxConnector box = InMemoryMailboxConnector.create("bench@contoso.com");
    for (int i = 0; i < messages; i++) {
      box.deliver(("Message-ID: <m" + i + "@bench>\r\nSubject: m" + i + "\r\n\r\nbody " + i + "\r\n")
          .getBytes(StandardCharsets.UTF_8));
    }
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    O365MailMetrics metrics = O365MailMetrics.builder().mailboxTag(MailboxTagging.HASHED).build();
    metrics.bindTo(registry);
    AtomicLong handled = new AtomicLong();
    MailboxConnector connector = withMetrics ? metrics.timed(box) : box;
    MailImporter.Builder b = MailImporter.builder().connector(connector).checkpointStore(CheckpointStore.inMemory())
        .batchSize(100).handler(m -> handled.incrementAndGet());
    if (withMetrics) {
      b.listener(metrics.importListener(box.mailbox()));
    }
    try (MailImporter importer = b.build()) {
      long start = CPU.getCurrentThreadCpuTime();
      ImportResult r = importer.runOnce();
      long took = CPU.getCurrentThreadCpuTime() - start;
      if (r.imported() != messages || handled.get() != messages) {
        throw new IllegalStateException("imported " + r.imported() + " of " + messages);
      }
      if (withMetrics && registry.get("o365mail.import.messages").counter().count() != messages) {
        throw new IllegalStateException("the counter missed messages");
      }
      return took;
    } finally {
      metrics.close();
    }
  }

  private static double median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2.0;
  }
}
