package org.o365mail.testkit.internal;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTPS server on 127.0.0.1 (JDK {@code HttpsServer}) with one handler for every path; the handler does its
 * own routing. A handler that throws gets a 500 with the exception's class, never its message (which might
 * quote a request).
 */
public final class HttpService implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(HttpService.class);

  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY, Nagle and the client's delayed ACK
    // add ~40 ms to responses, which no Microsoft endpoint does. Read once, when the JDK's server config loads.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  private final String name;
  private final HttpsServer server;
  private final ExecutorService executor;

  public HttpService(String name, SSLContext tls, int port, Handler handler) {
    this.name = name;
    try {
      server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the " + name + " port " + port, e);
    }
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    AtomicInteger threads = new AtomicInteger();
    executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "testkit-" + name + "-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(
        "/",
        raw -> {
          HttpExchange exchange = new HttpExchange(raw);
          try {
            handler.handle(exchange);
          } catch (Exception e) {
            logger.debug("{}: {} {} failed", name, raw.getRequestMethod(), raw.getRequestURI().getRawPath(), e);
            if (!exchange.responded()) {
              exchange.sendJson(
                  500,
                  Json.object()
                      .put("error", "server_error")
                      .put("error_description", "testkit " + name + " failed: " + e.getClass().getSimpleName()));
            }
          } finally {
            exchange.close();
          }
        });
  }

  public void start() {
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String name() {
    return name;
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Handles every request of the service. */
  @FunctionalInterface
  public interface Handler {
    void handle(HttpExchange exchange) throws Exception;
  }
}
