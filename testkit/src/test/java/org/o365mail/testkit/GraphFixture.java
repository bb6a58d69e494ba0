package org.o365mail.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.o365mail.testkit.internal.Json;

/**
 * A local tenant set up for the Graph tests: contoso.com with users alice and bob, a shared mailbox, apps with
 * different Graph permissions (tokens from the real identity endpoint), and a second tenant fabrikam.com.
 */
final class GraphFixture implements AutoCloseable {
  static final String PASSWORD = "Passw0rd!";
  static final String GRAPH = "https://graph.microsoft.com/.default";

  final LocalTenant m365;
  final TestHttp http;
  final Tenant contoso;
  final Tenant fabrikam;
  final User alice;
  final User bob;
  final Mailbox shared;
  /** App-only Mail.ReadWrite + Mail.Send + Application.Read.All. */
  final App writer;
  /** App-only Mail.Read. */
  final App reader;
  /** App-only Mail.ReadBasic.All. */
  final App basic;
  /** App-only User.Read.All only (no mail permission). */
  final App noMail;
  /** fabrikam's app with Mail.Read. */
  final App foreign;
  /** Public client with every delegated mail scope including the .Shared ones. */
  final Application delegatedAll;
  /** Public client with Mail.Read and User.Read only. */
  final Application delegatedOwn;

  private final Map<String, String> tokens = new ConcurrentHashMap<>();

  record App(Application app, PasswordCredential secret) {}

  /** Whether {@link #close()} stops the tenant: one this fixture started, not one a {@link LocalTenantExtension} runs. */
  private final boolean ownsTenant;

  GraphFixture() {
    this(LocalTenant.start(), true);
  }

  /** The fixture modelled in a tenant the caller runs (a {@link LocalTenantExtension}'s), which it leaves running. */
  GraphFixture(LocalTenant m365) {
    this(m365, false);
  }

  private GraphFixture(LocalTenant m365, boolean ownsTenant) {
    this.m365 = m365;
    this.ownsTenant = ownsTenant;
    http = new TestHttp(m365);
    contoso = m365.createTenant("contoso.com");
    fabrikam = m365.createTenant("fabrikam.com");
    alice = contoso.addUser("alice@contoso.com", PASSWORD);
    bob = contoso.addUser("bob@contoso.com", PASSWORD);
    shared = contoso.addSharedMailbox("support@contoso.com");
    fabrikam.addUser("eve@fabrikam.com", PASSWORD);
    writer = app(contoso, "Writer", "Mail.ReadWrite", "Mail.Send", "Application.Read.All", "User.Read.All");
    reader = app(contoso, "Reader", "Mail.Read");
    basic = app(contoso, "Basic", "Mail.ReadBasic.All");
    noMail = app(contoso, "Directory only", "User.Read.All");
    foreign = app(fabrikam, "Fabrikam reader", "Mail.Read");
    delegatedAll =
        contoso.registerApp("Desktop mail")
            .allowPublicClientFlows(true)
            .addDelegatedPermission(
                ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite", "Mail.Send", "Mail.Read.Shared",
                "Mail.ReadWrite.Shared", "Mail.Send.Shared")
            .grantAdminConsent();
    delegatedOwn =
        contoso.registerApp("Own mail only")
            .allowPublicClientFlows(true)
            .addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.Read")
            .grantAdminConsent();
  }

  private static App app(Tenant tenant, String name, String... roles) {
    Application app = tenant.registerApp(name);
    PasswordCredential secret = app.addClientSecret("test", Duration.ofDays(30));
    app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, roles).grantAdminConsent();
    return new App(app, secret);
  }

  /** An app-only Graph token (cached per app; valid for an hour of tenant time). */
  String token(App app) {
    return tokens.computeIfAbsent(
        "app:" + app.app().clientId(),
        k -> http.clientCredentialsToken(app.app().homeTenant(), app.app(), app.secret(), GRAPH));
  }

  /** A delegated Graph token of a contoso user through ROPC (cached). */
  String token(Application app, User user) {
    return tokens.computeIfAbsent(
        "user:" + app.clientId() + ":" + user.userPrincipalName(),
        k -> http.passwordToken(
            contoso, app, user.userPrincipalName(), PASSWORD, "https://graph.microsoft.com/User.Read"));
  }

  String base() {
    return m365.graphBaseUrl();
  }

  /** {@code /users/alice%40contoso.com}: the mailbox path segment as Kiota encodes it. */
  static String user(String address) {
    return "/users/" + address.replace("@", "%40");
  }

  TestHttp.Response get(String token, String path, String... headers) {
    return http.get(url(path), with(token, headers));
  }

  TestHttp.Response send(String method, String token, String path, byte[] body, String... headers) {
    return http.send(method, url(path), body, with(token, headers));
  }

  TestHttp.Response post(String token, String path, Object json, String... headers) {
    String[] all = concat(headers, "Content-Type", "application/json");
    return send("POST", token, path, Json.bytes(json), all);
  }

  TestHttp.Response patch(String token, String path, Object json, String... headers) {
    String[] all = concat(headers, "Content-Type", "application/json");
    return send("PATCH", token, path, Json.bytes(json), all);
  }

  TestHttp.Response delete(String token, String path, String... headers) {
    return send("DELETE", token, path, null, headers);
  }

  String url(String path) {
    return path.startsWith("https://") ? path : base() + path;
  }

  private static String[] with(String token, String... headers) {
    return token == null ? headers : concat(headers, "Authorization", "Bearer " + token);
  }

  static String[] concat(String[] headers, String... more) {
    List<String> all = new ArrayList<>(List.of(headers));
    all.addAll(List.of(more));
    return all.toArray(new String[0]);
  }

  /** A request builder with a bearer token, for asynchronous sends. */
  HttpRequest.Builder request(String token, String path) {
    return HttpRequest.newBuilder(URI.create(url(path))).header("Authorization", "Bearer " + token);
  }

  static JsonNode json(String text) {
    return Json.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Delivers a plain message into a folder of a mailbox at a given received time. */
  StoredMail deliver(Mailbox mailbox, String folder, String subject, java.time.Instant received, boolean seen) {
    byte[] mime = TestMessages.text("sender@example.org", mailbox.address(), subject, "Body of " + subject);
    return mailbox.deliver(folder, mime, seen, received);
  }

  @Override
  public void close() {
    if (ownsTenant) {
      m365.close();
    }
  }
}
