package org.o365mail.imap.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The adapter's own threads: named, daemon, never the common pool. Stateless; thread-safe. */
final class SdkThreads {
  private SdkThreads() {}

  static ThreadFactory factory(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "o365mail-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
