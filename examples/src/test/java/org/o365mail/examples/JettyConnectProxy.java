package org.o365mail.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ConnectHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A forward proxy we did not write: Jetty 12's {@link ConnectHandler} on 127.0.0.1, with two listening ports, one
 * open and one that wants Basic credentials. Only Jetty's own hooks are overridden, and only to add what a
 * corporate proxy does and to record it:
 *
 * <ul>
 *   <li>{@code handleAuthentication(Request, Response, String)}: "Handles the authentication before setting up the
 *       tunnel to the remote server"; on {@code false} {@code handleConnect} answers 407, with {@code Connection:
 *       close} and {@code Content-Length: 0} ({@code ConnectHandler.sendConnectResponse}, jetty-server 12.1,
 *       org/eclipse/jetty/server/handler/ConnectHandler.java). Jetty adds no {@code Proxy-Authenticate} challenge of
 *       its own: this proxy puts {@code Basic realm="jetty"} on the response, as RFC 9110 section 11.7.1 requires
 *       of a 407.
 *   <li>{@code getHostIncludeExclude()}: Jetty's white list of {@code host:port} targets ({@code validateDestination}
 *       answers 403 to any other). Only the local tenant's ports on {@code localhost} are included, so that nothing
 *       leaves the machine through this proxy.
 *   <li>{@code onConnectSuccess}: the tunnel is up and Jetty answers 200.
 *   <li>{@code read(EndPoint, ByteBuffer, ConcurrentMap)}: both directions of every tunnel read through it (its
 *       Javadoc: "Reads (with non-blocking semantic) into the given buffer from the given endPoint"); the bytes it
 *       appended are kept, up to 4 MiB, for {@link #sawInClear}.
 * </ul>
 *
 * <p>Each {@code CONNECT} is recorded as a {@link Connect}: the port it came to, its target, the {@code
 * Proxy-Authorization} it carried and Jetty's answer. Thread-safe.
 */
final class JettyConnectProxy implements AutoCloseable {
  /** One {@code CONNECT} request as Jetty received it, and its answer (0 while the tunnel is being set up). */
  record Connect(int proxyPort, String target, Optional<String> proxyAuthorization, List<String> headerNames,
      int status) {}

  private static final int CAPTURE_LIMIT = 4 << 20;

  private final Server server;
  private final ServerConnector open;
  private final ServerConnector authenticating;
  private final Map<String, String> users;
  private final List<Connect> connects = new CopyOnWriteArrayList<>();
  private final ByteArrayOutputStream tunnelled = new ByteArrayOutputStream();

  /**
   * Starts the proxy.
   *
   * @param users the accepted Basic {@code user -> password} of the authenticating port
   * @param allowed the {@code host:port} targets Jetty's white list includes
   */
  JettyConnectProxy(Map<String, String> users, List<String> allowed) throws Exception {
    this.users = Map.copyOf(users);
    QueuedThreadPool threads = new QueuedThreadPool(16, 4);
    threads.setName("jetty-proxy");
    threads.setDaemon(true);
    server = new Server(threads);
    open = connector();
    authenticating = connector();
    Recording handler = new Recording();
    handler.setConnectTimeout(5_000);
    handler.setIdleTimeout(30_000);
    for (String target : allowed) {
      handler.getHostIncludeExclude().include(target);
    }
    server.setHandler(handler);
    server.start();
  }

  private ServerConnector connector() {
    ServerConnector c = new ServerConnector(server, 1, 1);
    c.setHost("127.0.0.1");
    c.setPort(0);
    c.setIdleTimeout(30_000);
    server.addConnector(c);
    return c;
  }

  String host() {
    return "127.0.0.1";
  }

  /** The port that tunnels without asking for credentials. */
  int openPort() {
    return open.getLocalPort();
  }

  /** The port that answers 407 until a {@code CONNECT} carries the Basic credentials of one of the users. */
  int authenticatingPort() {
    return authenticating.getLocalPort();
  }

  /** Every {@code CONNECT} that came to {@code port}, in order. */
  List<Connect> connects(int port) {
    return connects.stream().filter(c -> c.proxyPort() == port).toList();
  }

  /** The targets of every {@code CONNECT} to {@code port}. */
  List<String> targets(int port) {
    return connects(port).stream().map(Connect::target).toList();
  }

  /**
   * Whether {@code text} crossed the proxy in clear: in a {@code CONNECT}'s headers, or in the first megabytes
   * relayed through its tunnels either way (TLS inside a tunnel hides it).
   */
  boolean sawInClear(String text) {
    String all;
    synchronized (tunnelled) {
      all = tunnelled.toString(StandardCharsets.ISO_8859_1);
    }
    return all.contains(text) || connects.stream().anyMatch(c -> c.target().contains(text)
        || c.proxyAuthorization().map(a -> a.contains(text)).orElse(false));
  }

  /** How many bytes of the tunnels were kept for {@link #sawInClear}: more than none once a tunnel carried data. */
  int tunnelledBytes() {
    synchronized (tunnelled) {
      return tunnelled.size();
    }
  }

  void clear() {
    synchronized (connects) {
      connects.clear();
    }
    synchronized (tunnelled) {
      tunnelled.reset();
    }
  }

  static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("Jetty did not stop", e);
    }
  }

  /** Jetty's {@link ConnectHandler}, its documented hooks overridden to authenticate and to record. */
  private final class Recording extends ConnectHandler {
    private final ThreadLocal<Integer> current = new ThreadLocal<>();

    @Override
    protected boolean handleAuthentication(Request request, Response response, String address) {
      List<String> names = new ArrayList<>();
      for (HttpField f : request.getHeaders()) {
        names.add(f.getName());
      }
      String auth = request.getHeaders().get(HttpHeader.PROXY_AUTHORIZATION);
      int port = localPort(request);
      boolean ok = port != authenticatingPort() || users.entrySet().stream()
          .anyMatch(u -> basic(u.getKey(), u.getValue()).equals(auth));
      current.set(add(new Connect(port, address, Optional.ofNullable(auth), List.copyOf(names), ok ? 0 : 407)));
      if (!ok) {
        response.getHeaders().put(HttpHeader.PROXY_AUTHENTICATE, "Basic realm=\"jetty\"");
      }
      return ok;
    }

    @Override
    public boolean validateDestination(String host, int port) {
      boolean ok = super.validateDestination(host, port);
      if (!ok) {
        answered(403);
      }
      return ok;
    }

    @Override
    protected void handleConnect(Request request, Response response, Callback callback, String serverAddress) {
      try {
        super.handleConnect(request, response, callback, serverAddress);
      } finally {
        current.remove();
      }
    }

    @Override
    protected void onConnectSuccess(ConnectContext context, UpstreamConnection upstream) {
      String target = context.getRequest().getHttpURI().getAuthority();
      int port = localPort(context.getRequest());
      synchronized (connects) {
        for (int i = connects.size() - 1; i >= 0; i--) {
          Connect c = connects.get(i);
          if (c.proxyPort() == port && c.target().equals(target) && c.status() == 0) {
            connects.set(i, new Connect(c.proxyPort(), c.target(), c.proxyAuthorization(), c.headerNames(), 200));
            break;
          }
        }
      }
      super.onConnectSuccess(context, upstream);
    }

    @Override
    protected int read(EndPoint endPoint, ByteBuffer buffer, ConcurrentMap<String, Object> context)
        throws IOException {
      int n = super.read(endPoint, buffer, context);
      if (n > 0) {
        // EndPoint.fill's Javadoc: the bytes are appended from the buffer's limit, and the limit moved past them
        byte[] copy = new byte[n];
        buffer.duplicate().position(buffer.limit() - n).get(copy);
        synchronized (tunnelled) {
          tunnelled.write(copy, 0, Math.min(n, Math.max(0, CAPTURE_LIMIT - tunnelled.size())));
        }
      }
      return n;
    }

    private int add(Connect c) {
      synchronized (connects) {
        connects.add(c);
        return connects.size() - 1;
      }
    }

    private void answered(int status) {
      Integer i = current.get();
      synchronized (connects) {
        if (i != null && i < connects.size()) {
          Connect c = connects.get(i);
          connects.set(i, new Connect(c.proxyPort(), c.target(), c.proxyAuthorization(), c.headerNames(), status));
        }
      }
    }

    private int localPort(Request request) {
      SocketAddress local = request.getConnectionMetaData().getLocalSocketAddress();
      return local instanceof InetSocketAddress a ? a.getPort() : -1;
    }
  }
}
