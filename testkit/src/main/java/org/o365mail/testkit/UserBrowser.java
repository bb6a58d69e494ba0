package org.o365mail.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Plays a user's browser for an interactive sign-in against the local tenant: opens the authorize page, signs
 * in (accepting the consent prompt), and delivers the result to the app's redirect URI (its loopback listener)
 * as a browser would, by redirect or by submitting the {@code form_post} page.
 */
final class UserBrowser {
  private static final Pattern ACTION = Pattern.compile("action=\"([^\"]+)\"");
  private static final Pattern INPUT = Pattern.compile("name=\"([^\"]+)\" value=\"([^\"]*)\"");

  private final LocalTenant m365;

  UserBrowser(LocalTenant m365) {
    this.m365 = m365;
  }

  CompletableFuture<Integer> signIn(URI authorizeUrl, String user, String password, boolean consent) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        HttpClient https = HttpClient.newBuilder().sslContext(m365.sslContext())
            .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();
        Map<String, String> form = new LinkedHashMap<>();
        form.put("login", user);
        form.put("passwd", password);
        if (consent) {
          form.put("consent", "yes");
        }
        HttpResponse<String> page = https.send(HttpRequest.newBuilder(authorizeUrl)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(encode(form))).build(), HttpResponse.BodyHandlers.ofString());
        HttpClient loopback = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        if (page.statusCode() == 302) {
          URI location = URI.create(page.headers().firstValue("Location").orElseThrow());
          return loopback.send(HttpRequest.newBuilder(location).GET().build(), HttpResponse.BodyHandlers.discarding())
              .statusCode();
        }
        Matcher action = ACTION.matcher(page.body());
        if (!action.find() || !page.body().contains("document.forms[0].submit()")) {
          throw new IllegalStateException("the sign-in page did not sign " + user + " in (HTTP " + page.statusCode() + ")");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        Matcher input = INPUT.matcher(page.body());
        while (input.find()) {
          fields.put(unescape(input.group(1)), unescape(input.group(2)));
        }
        return loopback.send(HttpRequest.newBuilder(URI.create(unescape(action.group(1))))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(encode(fields))).build(), HttpResponse.BodyHandlers.discarding())
            .statusCode();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    });
  }

  private static String encode(Map<String, String> form) {
    return form.entrySet().stream()
        .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
        .collect(Collectors.joining("&"));
  }

  private static String unescape(String s) {
    return s.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
  }
}
