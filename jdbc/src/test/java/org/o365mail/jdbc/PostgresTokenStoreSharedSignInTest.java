package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeChallenge;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.auth.TokenStore;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Tenant;
import org.o365mail.testsupport.Tenants;

/**
 * Issue 18: a delegated sign-in shared by two service instances (two child JVMs, each with its own strategy and
 * MSAL application) through the PostgreSQL token store, while the tenant rotates the refresh token on every use
 * ({@code Faults.refreshTokenRotation}): each instance asks for tokens from several threads at once, round after
 * round, each round a refresh, and no sign-in is lost. The same two instances each with its own copy of the
 * sign-in (two file stores, no shared lock) lose it: the test can fail.
 */
@Timeout(300)
class PostgresTokenStoreSharedSignInTest {
  private static final int ROUNDS = 20;
  private static final int THREADS = 4;
  private static final String USER = "queue@contoso.com";
  private static final String PASSWORD = "Shared-Sign1n!";
  /** The Graph permission each instance asks for: the tenant's record of refreshes tells the instances apart. */
  private static final List<String> PERMISSIONS = List.of("Mail.ReadWrite", "User.Read");
  private static final Pattern RESULT =
      Pattern.compile("RESULT (\\S+) answered=(\\d+) failed=(\\d+) refreshes=(\\d+) codes=(\\{.*\\})");

  private static LocalTenant m365;
  private static Tenant contoso;
  private static Application app;
  private static Path trustStore;
  private static int databases;

  /** A fresh store key per test, handed to the children in their environment only. */
  private final byte[] key = randomKey();

  private static byte[] randomKey() {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    return key;
  }

  @BeforeAll
  static void model(@TempDir Path dir) {
    m365 = LocalTenant.start();
    contoso = m365.createTenant("contoso.com");
    contoso.addUser(USER, PASSWORD);
    app = contoso.registerApp("Shared importer").allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite").grantAdminConsent();
    m365.deviceCodes().interval(Duration.ofMillis(200));
    trustStore = m365.writeTrustStore(dir.resolve("tenant.p12"), SharedSignInInstance.TRUST_STORE_PASSWORD);
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  @BeforeEach
  void rotateRefreshTokens() {
    m365.faults().refreshTokenRotation(true);
  }

  /** What one instance printed. */
  record Result(String name, int answered, int failed, int refreshes, String codes) {}

  @Test
  void twoInstancesSharingTheSignInThroughPostgres_refreshingConcurrently_withRotation_neverLoseIt(@TempDir Path dir)
      throws Exception {
    String database = "o365mail_shared_sign_in_" + (++databases);
    try (Connection c = TestDatabase.server().getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + database);
    }
    PostgresTokenStore store =
        PostgresTokenStore.builder(TestDatabase.server().getDatabase("postgres", database)).encryptionKey(key).build();
    signIn(store);
    m365.clearRequests();

    String url = "jdbc:postgresql://127.0.0.1:" + TestDatabase.server().getPort() + "/" + database + "?user=postgres";
    List<Result> results = runInstances(dir, url, "jdbc", "jdbc");

    for (Result r : results) {
      System.out.println("shared sign-in through PostgreSQL: instance " + r.name() + " made " + r.refreshes()
          + " refreshes, " + r.answered() + " token requests answered, " + r.failed() + " failed");
      assertThat(r.failed()).as(r.toString()).isZero();
      assertThat(r.answered()).as(r.toString()).isEqualTo(ROUNDS * THREADS);
      assertThat(r.refreshes()).as("each round refreshes: " + r).isGreaterThanOrEqualTo(ROUNDS);
    }
    int refreshes = results.stream().mapToInt(Result::refreshes).sum();
    assertThat(m365.count(r -> r.service().equals("identity") && r.attribute("grant_type").equals("refresh_token")
        && r.status() == 200)).as("every refresh redeemed a live refresh token").isEqualTo(refreshes);
    assertThat(m365.count(r -> r.service().equals("identity") && r.status() != 200))
        .as("no refresh token refused (AADSTS70000) or anything else").isZero();
    assertThat(m365.count(r -> r.attribute("grant_type").contains("device_code"))).as("no new sign-in").isZero();
    List<String> order = m365.requests("identity").stream()
        .filter(r -> r.attribute("grant_type").equals("refresh_token"))
        .map(r -> r.attribute("scope").contains("Mail.ReadWrite") ? "1" : "2").toList();
    int switches = 0;
    for (int i = 1; i < order.size(); i++) {
      switches += order.get(i).equals(order.get(i - 1)) ? 0 : 1;
    }
    System.out.println("shared sign-in through PostgreSQL: refreshes in the order the tenant saw them "
        + String.join("", order) + " (" + switches + " switches between the instances)");
    assertThat(switches).as("the two instances refreshed the one sign-in in turns, not one after the other")
        .isGreaterThan(1);

    // with single-use tokens only the latest of the chain redeems: the one in the database is the latest
    try (DeviceCodeCredential third = instance(store)) {
      assertThat(third.isSignedIn()).isTrue();
      AccessToken token = third.token(SharedSignInInstance.REQUEST);
      assertThat(token.claims().userPrincipalName()).contains(USER);
    }
    assertThat(m365.count(r -> r.service().equals("identity") && r.status() != 200)).isZero();
  }

  @Test
  void twoInstancesEachWithItsOwnCopyOfTheSignIn_withRotation_loseIt(@TempDir Path dir) throws Exception {
    Path first = Files.createDirectories(dir.resolve("first"));
    Path second = Files.createDirectories(dir.resolve("second"));
    signIn(FileTokenStore.builder(first).encryptionKey(key).build());
    try (Stream<Path> files = Files.list(first)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Files.copy(file, second.resolve(file.getFileName()));
      }
    }
    m365.clearRequests();

    List<Result> results = runInstances(dir, "", "file:" + first, "file:" + second);

    for (Result r : results) {
      System.out.println("sign-in copied to two file stores: instance " + r.name() + " made " + r.refreshes()
          + " refreshes, " + r.answered() + " token requests answered, " + r.failed() + " failed " + r.codes());
    }
    assertThat(results).as("one instance redeems a refresh token the other already used")
        .anySatisfy(r -> {
          assertThat(r.failed()).isPositive();
          assertThat(r.codes()).contains("AADSTS70000");
        });
    assertThat(m365.count(r -> r.service().equals("identity") && "AADSTS70000".equals(r.errorCode())))
        .isPositive();
  }

  private static AppRegistration registration() {
    return Tenants.app(m365, contoso, app);
  }

  private static DeviceCodeCredential instance(TokenStore store) {
    return CredentialStrategy.deviceCode(registration()).signInRequest(SharedSignInInstance.REQUEST).tokenStore(store)
        .build();
  }

  /** The user signs in once, with the device code, into {@code store}. */
  private static void signIn(TokenStore store) {
    try (DeviceCodeCredential login = instance(store)) {
      DeviceCodeChallenge challenge = login.start();
      m365.deviceCodes().approve(challenge.userCode(), USER, PASSWORD);
      login.await(Duration.ofSeconds(30));
      assertThat(login.isSignedIn()).isTrue();
    }
  }

  /** Starts one child JVM per store, lets them go at the same moment, and reads what each printed. */
  private List<Result> runInstances(Path dir, String jdbcUrl, String... stores) throws Exception {
    Path rendezvous = Files.createDirectories(dir.resolve("rendezvous"));
    List<Process> children = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try {
      for (int i = 0; i < stores.length; i++) {
        String name = "instance-" + (i + 1);
        Path log = dir.resolve(name + ".log");
        ProcessBuilder pb = new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"),
            SharedSignInInstance.class.getName(),
            stores[i], m365.authorityHost().toString(), contoso.id(), app.clientId(), trustStore.toString(),
            Integer.toString(ROUNDS), Integer.toString(THREADS), rendezvous.toString(), name, PERMISSIONS.get(i))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
        pb.environment().put("O365MAIL_TEST_TOKEN_KEY", HexFormat.of().formatHex(key));
        if (!jdbcUrl.isEmpty()) {
          pb.environment().put("O365MAIL_TEST_JDBC_URL", jdbcUrl);
        }
        children.add(pb.start());
        logs.add(log);
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (System.nanoTime() < deadline && children.stream().allMatch(Process::isAlive)
          && !allReady(rendezvous, stores.length)) {
        Thread.sleep(20);
      }
      Files.createFile(rendezvous.resolve("go"));
      for (Process child : children) {
        assertThat(child.waitFor(180, TimeUnit.SECONDS)).as("instance finished").isTrue();
      }
      List<Result> results = new ArrayList<>();
      for (int i = 0; i < logs.size(); i++) {
        String output = Files.readString(logs.get(i));
        assertThat(children.get(i).exitValue()).as(output).isZero();
        Matcher m = RESULT.matcher(output);
        assertThat(m.find()).as(output).isTrue();
        results.add(new Result(m.group(1), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
            Integer.parseInt(m.group(4)), m.group(5)));
      }
      return results;
    } finally {
      children.forEach(Process::destroyForcibly);
    }
  }

  private static boolean allReady(Path rendezvous, int count) throws IOException {
    try (Stream<Path> files = Files.list(rendezvous)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".ready")).count() == count;
    }
  }
}
