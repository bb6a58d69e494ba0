package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.o365mail.testkit.internal.Json;

/** A plain JDK HTTPS client for the testkit's own tests, trusting only the local tenant's certificate. */
final class TestHttp {
  private final LocalTenant m365;
  private final HttpClient client;

  TestHttp(LocalTenant m365) {
    this.m365 = m365;
    this.client =
        HttpClient.newBuilder()
            .sslContext(m365.sslContext())
            .connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  record Response(int status, java.net.http.HttpHeaders headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    JsonNode json() {
      return Json.parse(body);
    }

    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }
  }

  static Map<String, String> form(String... keyValues) {
    Map<String, String> form = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      form.put(keyValues[i], keyValues[i + 1]);
    }
    return form;
  }

  Response postForm(String url, Map<String, String> form) {
    String body =
        form.entrySet().stream()
            .map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
            .collect(Collectors.joining("&"));
    return send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  Response get(String url, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b.build());
  }

  Response send(String method, String url, byte[] body, String... headers) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return send(b.build());
  }

  Response send(HttpRequest request) {
    try {
      HttpResponse<byte[]> r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      return new Response(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Response token(String tenant, Map<String, String> form) {
    return postForm(m365.tokenEndpoint(tenant).toString(), form);
  }

  /** An app-only access token with a client secret; fails the test if the endpoint refuses. */
  String clientCredentialsToken(Tenant tenant, Application app, PasswordCredential secret, String scope) {
    Response r =
        token(
            tenant.id(),
            form("grant_type", "client_credentials", "client_id", app.clientId(), "client_secret", secret.value(),
                "scope", scope));
    if (r.status() != 200) {
      throw new AssertionError("token request failed: " + r.status() + " " + r.text());
    }
    return r.json().get("access_token").asText();
  }

  /** A delegated access token through ROPC as a public client. */
  String passwordToken(Tenant tenant, Application app, String user, String password, String scope) {
    Response r =
        token(
            tenant.id(),
            form("grant_type", "password", "client_id", app.clientId(), "username", user, "password", password,
                "scope", scope));
    if (r.status() != 200) {
      throw new AssertionError("token request failed: " + r.status() + " " + r.text());
    }
    return r.json().get("access_token").asText();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
