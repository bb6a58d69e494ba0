package org.o365mail.graph.internal;

import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;
import okhttp3.Authenticator;
import okhttp3.Challenge;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.Route;
import org.o365mail.ProxySettings;

/**
 * OkHttp's proxy authenticator for an HTTP proxy with Basic credentials: answers the proxy's 407 to a {@code
 * CONNECT}, once, and nothing else. OkHttp first asks it preemptively with a made-up challenge ({@code
 * OkHttp-Preemptive}), which it declines, so the credentials go only to a proxy that asked for them, and only in
 * {@code Proxy-Authorization}. Thread-safe.
 */
final class ProxyCredentials implements Authenticator {
  private final ProxySettings proxy;

  ProxyCredentials(ProxySettings proxy) {
    this.proxy = proxy;
  }

  @Override
  public Request authenticate(Route route, Response response) {
    if (response.code() != 407 || response.request().header("Proxy-Authorization") != null) {
      return null; // not the proxy's challenge, or the credentials were refused already: give up
    }
    boolean basic = false;
    for (Challenge c : response.challenges()) {
      basic |= c.scheme().toLowerCase(Locale.ROOT).equals("basic");
    }
    if (!basic) {
      return null;
    }
    char[] password = proxy.password();
    byte[] raw = null;
    try {
      String user = proxy.username().orElseThrow();
      CharBuffer pair = CharBuffer.allocate(user.length() + 1 + password.length);
      pair.put(user).put(':').put(password).flip();
      var encoded = StandardCharsets.UTF_8.encode(pair);
      raw = new byte[encoded.remaining()];
      encoded.get(raw);
      Arrays.fill(pair.array(), '\0');
      return response.request().newBuilder()
          .header("Proxy-Authorization", "Basic " + Base64.getEncoder().encodeToString(raw))
          .build();
    } finally {
      Arrays.fill(password, '\0');
      if (raw != null) {
        Arrays.fill(raw, (byte) 0);
      }
    }
  }
}
