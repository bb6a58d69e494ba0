package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The loopback proxy's answers to {@code CONNECT} on the wire: a 407 that keeps the connection open for the client's
 * next try, or, with {@link LoopbackProxy#closeAfter407()}, one that closes it as Jetty's {@code ConnectHandler}
 * does.
 */
@Timeout(10)
class LoopbackProxyTest {
  static final String CONNECT = "CONNECT localhost:%d HTTP/1.1\r\nHost: localhost:%d\r\n%s\r\n";

  /** The head of one answer: the status line and headers, up to the empty line. */
  static String head(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int c = in.read();
      if (c < 0) {
        break;
      }
      b.write(c);
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  static void send(Socket s, int port, String headers) throws IOException {
    s.getOutputStream().write(String.format(CONNECT, port, port, headers).getBytes(StandardCharsets.ISO_8859_1));
    s.getOutputStream().flush();
  }

  @Test
  void a407KeepsTheConnectionOpenForTheCredentials() throws IOException {
    try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "pw");
        Socket s = new Socket(proxy.host(), proxy.port())) {
      send(s, target.getLocalPort(), "");
      String first = head(s.getInputStream());
      assertThat(first).startsWith("HTTP/1.1 407 ").contains("Proxy-Authenticate: Basic").doesNotContain("close");
      send(s, target.getLocalPort(), "Proxy-Authorization: " + LoopbackProxy.basic("svc", "pw") + "\r\n");
      assertThat(head(s.getInputStream())).startsWith("HTTP/1.1 200 ");
      assertThat(proxy.answers()).containsExactly(407, 200);
    }
  }

  @Test
  void closeAfter407_answersConnectionCloseAndCloses_soTheCredentialsComeOnANewConnection() throws IOException {
    try (ServerSocket target = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        LoopbackProxy proxy = LoopbackProxy.httpWithBasic("svc", "pw").closeAfter407()) {
      try (Socket s = new Socket(proxy.host(), proxy.port())) {
        send(s, target.getLocalPort(), "");
        assertThat(head(s.getInputStream())).startsWith("HTTP/1.1 407 ").contains("Proxy-Authenticate: Basic")
            .contains("Connection: close");
        assertThat(s.getInputStream().read()).isEqualTo(-1);
      }
      try (Socket s = new Socket(proxy.host(), proxy.port())) {
        send(s, target.getLocalPort(), "Proxy-Authorization: " + LoopbackProxy.basic("svc", "pw") + "\r\n");
        assertThat(head(s.getInputStream())).startsWith("HTTP/1.1 200 ");
      }
      assertThat(proxy.answers()).containsExactly(407, 200);
      assertThat(proxy.proxyAuthorizations()).hasSize(1);
    }
  }
}
