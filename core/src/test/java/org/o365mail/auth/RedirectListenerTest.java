package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedirectListenerTest {

  @Test
  void anErrorRedirectOn127001IsHandedOverAtOnce() throws Exception {
    try (RedirectListener listener = RedirectListener.start()) {
      send(InetAddress.getByName("127.0.0.1"), listener.redirectUri().getPort(),
          "GET /?error=access_denied&error_description=AADSTS65004%3A+declined HTTP/1.1\r\nHost: localhost\r\n\r\n");
      Optional<RedirectListener.Result> result = listener.await(Duration.ofSeconds(30));
      assertThat(result).hasValueSatisfying(r -> {
        assertThat(r.error()).isEqualTo("access_denied");
        assertThat(r.errorDescription()).isEqualTo("AADSTS65004: declined");
      });
    }
  }

  @Test
  void aBrowserThatResolvesLocalhostToIpv6IsHeardToo() throws Exception {
    InetAddress v6 = InetAddress.getByName("::1");
    try (RedirectListener listener = RedirectListener.start()) {
      int port = listener.redirectUri().getPort();
      boolean reachable;
      try (Socket probe = new Socket(v6, port)) {
        reachable = probe.isConnected();
      } catch (IOException e) {
        reachable = false;
      }
      assumeTrue(reachable, "this machine has no IPv6 loopback");
      send(v6, port, "GET /?code=abc&state=s1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assertThat(listener.await(Duration.ofSeconds(30)))
          .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo("abc"));
    }
  }

  @Test
  void anOversizedRequestIsDroppedAndTheBrowserStillHeard() throws Exception {
    try (RedirectListener listener = RedirectListener.start()) {
      int port = listener.redirectUri().getPort();
      InetAddress v4 = InetAddress.getByName("127.0.0.1");
      send(v4, port, "GET /?" + "x".repeat(RedirectListener.MAX_REQUEST_BYTES + 10) + " HTTP/1.1\r\n\r\n");
      send(v4, port, "GET /?code=ok&state=s2 HTTP/1.1\r\nHost: localhost\r\n\r\n");
      assertThat(listener.await(Duration.ofSeconds(30)))
          .hasValueSatisfying(r -> assertThat(r.state()).isEqualTo("s2"));
    }
  }

  private static void send(InetAddress address, int port, String request) throws IOException {
    try (Socket s = new Socket(address, port)) {
      OutputStream out = s.getOutputStream();
      try {
        out.write(request.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        s.getInputStream().readAllBytes();
      } catch (IOException e) {
        // the listener hangs up on an oversized request
      }
    }
  }
}
