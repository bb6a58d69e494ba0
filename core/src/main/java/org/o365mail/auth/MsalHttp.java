package org.o365mail.auth;

import com.microsoft.aad.msal4j.HttpMethod;
import com.microsoft.aad.msal4j.HttpRequest;
import com.microsoft.aad.msal4j.HttpResponse;
import com.microsoft.aad.msal4j.IHttpClient;
import com.microsoft.aad.msal4j.IHttpResponse;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.o365mail.internal.SignInHttp;

/**
 * MSAL's HTTP through {@link SignInHttp}: MSAL's default client has connect and read timeouts but no cap on an
 * answer's size and no deadline for the whole answer. MSAL calls {@link #send} for every request it makes itself
 * (token endpoint, instance discovery, authority metadata); see https://aka.ms/msal4j-http-client.
 */
final class MsalHttp implements IHttpClient {
  /** Headers the JDK client sets itself and refuses from callers. */
  private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");

  private final SignInHttp http;

  MsalHttp(SignInHttp http) {
    this.http = http;
  }

  @Override
  public IHttpResponse send(HttpRequest request) throws Exception {
    java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(URI.create(request.url().toString()))
        .timeout(http.deadline());
    if (request.headers() != null) {
      for (Map.Entry<String, String> h : request.headers().entrySet()) {
        if (h.getValue() != null && !RESTRICTED.contains(h.getKey().toLowerCase(Locale.ROOT))) {
          b.header(h.getKey(), h.getValue());
        }
      }
    }
    if (request.httpMethod() == HttpMethod.POST) {
      String body = request.body() == null ? "" : request.body();
      b.POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    } else if (request.httpMethod() == HttpMethod.GET) {
      b.GET();
    } else {
      throw new UnsupportedOperationException("MSAL asked for HTTP " + request.httpMethod());
    }
    SignInHttp.Answer answer = http.send(b.build());
    HttpResponse response = new HttpResponse().statusCode(answer.status()).body(answer.body());
    response.addHeaders(answer.headers());
    return response;
  }
}
