package org.o365mail.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** The SDK's own threads: named, daemon, never the common pool. */
public final class SdkThreads {
  private SdkThreads() {}

  public static ThreadFactory factory(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "o365mail-" + name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** A pool of up to {@code max} threads that go away after a minute idle. */
  public static ExecutorService pool(String name, int max) {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(max, max, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), factory(name));
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }
}
