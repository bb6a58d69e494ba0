package org.o365mail.auth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.o365mail.internal.SdkThreads;

/**
 * The loopback redirect listener of an interactive sign-in: it waits on 127.0.0.1 (and on ::1 at the same port where
 * the machine has IPv6, since a browser may resolve {@code localhost} to either) for the browser to come back with
 * {@code code} and {@code state}, or with {@code error} and {@code error_description}, by query ({@code
 * response_mode=query}) or by form ({@code form_post}). MSAL4J's own listener drops an {@code error} and reports
 * only "No Authorization code was returned" (AcquireTokenByInteractiveFlowSupplier in
 * https://github.com/AzureAD/microsoft-authentication-library-for-java), which made a refused sign-in look like one
 * that never completed; this one hands the error over at once. It listens on loopback only (MSAL binds every
 * address), reads at most {@value #MAX_REQUEST_BYTES} bytes of a request, serves on a daemon thread per address and
 * stops on {@link #close()}.
 */
final class RedirectListener implements AutoCloseable {
  static final int MAX_REQUEST_BYTES = 64 * 1024;
  private static final int READ_TIMEOUT_MILLIS = 10_000;

  /** What the browser brought back; {@code error} set, or {@code code} and {@code state}. */
  record Result(String code, String state, String error, String errorDescription) {
    @Override
    public String toString() {
      return "Result[error=" + error + ", code=" + (code == null ? "none" : "****") + "]";
    }
  }

  private final List<ServerSocket> sockets;
  private final CompletableFuture<Result> result = new CompletableFuture<>();

  private RedirectListener(List<ServerSocket> sockets) {
    this.sockets = sockets;
  }

  /** Listens on an ephemeral port of 127.0.0.1, and on the same port of ::1 when it can. */
  static RedirectListener start() throws IOException {
    List<ServerSocket> sockets = new ArrayList<>();
    sockets.add(new ServerSocket(0, 10, InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1})));
    try {
      byte[] v6 = new byte[16];
      v6[15] = 1;
      sockets.add(new ServerSocket(sockets.get(0).getLocalPort(), 10,
          Inet6Address.getByAddress("localhost", v6, null)));
    } catch (IOException e) {
      // no IPv6 loopback, or its port is taken: browsers fall back to 127.0.0.1 when ::1 refuses
    }
    RedirectListener listener = new RedirectListener(sockets);
    for (ServerSocket s : sockets) {
      Thread t = SdkThreads.factory("redirect-listener").newThread(() -> listener.serve(s));
      t.start();
    }
    return listener;
  }

  /** The redirect URI to register and send: {@code http://localhost:<port>}. */
  URI redirectUri() {
    return URI.create("http://localhost:" + sockets.get(0).getLocalPort());
  }

  /** Waits for the browser; empty when it did not come back within {@code timeout}. */
  Optional<Result> await(Duration timeout) throws InterruptedException {
    try {
      return Optional.of(result.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (ExecutionException e) {
      return Optional.empty();
    }
  }

  private void serve(ServerSocket socket) {
    while (!socket.isClosed() && !result.isDone()) {
      try (Socket s = socket.accept()) {
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        Map<String, String> params = read(s.getInputStream());
        boolean answer = params.containsKey("code") || params.containsKey("error");
        respond(s.getOutputStream(), answer ? (params.containsKey("error") ? FAILED : DONE) : null);
        if (answer) {
          result.complete(new Result(params.get("code"), params.get("state"), params.get("error"),
              params.get("error_description")));
        }
      } catch (SocketException e) {
        if (socket.isClosed()) {
          return;
        }
      } catch (IOException | RuntimeException e) {
        // a broken or oversized request from something else on this machine: keep waiting for the browser
      }
    }
  }

  private static final String DONE = "Sign-in complete. You can close this tab and return to the application.";
  private static final String FAILED = "Sign-in failed. Return to the application to see why.";

  private static void respond(OutputStream out, String text) throws IOException {
    String body = text == null ? "" : "<!DOCTYPE html><html><head><title>Sign-in</title></head><body><p>" + text
        + "</p></body></html>";
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = (text == null ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK") + "\r\nContent-Type: text/html;"
        + " charset=utf-8\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n";
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
  }

  /** The query's and the form's parameters of one request, read within the size cap. */
  static Map<String, String> read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int last4 = 0;
    int c;
    while (last4 != 0x0d0a0d0a && (c = in.read()) >= 0) {
      head.write(c);
      last4 = (last4 << 8) | c;
      if (head.size() > MAX_REQUEST_BYTES) {
        throw new IOException("request head too large");
      }
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] requestLine = lines[0].split(" ");
    if (requestLine.length < 2) {
      throw new IOException("not an HTTP request");
    }
    Map<String, String> params = new HashMap<>();
    String target = requestLine[1];
    int q = target.indexOf('?');
    if (q >= 0) {
      parse(target.substring(q + 1), params);
    }
    long length = 0;
    for (String line : lines) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        length = Long.parseLong(line.substring("content-length:".length()).trim());
      }
    }
    if (length > MAX_REQUEST_BYTES - head.size() || length < 0) {
      throw new IOException("request body too large");
    }
    if (length > 0) {
      parse(new String(in.readNBytes((int) length), StandardCharsets.ISO_8859_1), params);
    }
    return params;
  }

  private static void parse(String encoded, Map<String, String> into) {
    for (String pair : encoded.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        into.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
  }

  @Override
  public void close() {
    for (ServerSocket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing a listening socket: nothing to do
      }
    }
    result.cancel(false);
  }
}
