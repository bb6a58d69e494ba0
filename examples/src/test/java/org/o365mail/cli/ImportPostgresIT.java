package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.importer.Lease;
import org.o365mail.jdbc.PostgresCheckpointStore;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testkit.User;

/**
 * {@code o365mail import --store jdbc:postgresql://...} as people run it: the jar {@code mvn package} built, started
 * with {@code java -jar}, against the testkit (in this JVM, on loopback) and a real PostgreSQL this test starts from
 * the embedded binaries, listening on 127.0.0.1 only. The checkpoint and the lease are in the database: a second run
 * imports nothing again, a run while another instance holds the lease imports nothing and names the holder, two runs
 * at once never both import; every mistake of the store's settings exits 64 naming its key, a database that does not
 * answer exits 2 naming {@code --store}; one delegated sign-in kept in the database serves other instances; the tables
 * hold no secret in clear (the sign-in's row sealed).
 */
@Timeout(600)
class ImportPostgresIT {
  /** One run: a JVM start, a sign-in and a few dozen messages on loopback; the machine is noisy. */
  static final Duration BOUND = Duration.ofSeconds(120);

  /** The database role the runs use: its password is checked (scram-sha-256), unlike the test's own connections. */
  static final String DB_USER = "o365mail_cli";

  /** What store.password refers to. */
  static final String DB_PASSWORD = "pg-process-test-password-0123456789";

  static final String USER_PASSWORD = "Alice-process-test-password-42!";

  static final AtomicInteger DATABASES = new AtomicInteger();

  /** The stdout and stderr files of each started run. */
  static final Map<Process, Path[]> OUTPUTS = new ConcurrentHashMap<>();

  @TempDir static Path dir;
  static Path jar;
  static EmbeddedPostgres postgres;
  static LocalTenant m365;
  static Tenant contoso;

  /** What a run of the tool left. */
  record Run(int code, String out, String err) {
    String all() {
      return out + err;
    }

    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    jar = Path.of(System.getProperty("o365mail.jar", "target/o365mail.jar")).toAbsolutePath();
    assertThat(jar).as("the jar mvn package builds (run this through mvn verify)").isRegularFile();
    // the binaries are on this JVM's class path twice (a dependency of the tests, and lib/ of the jar's manifest,
    // which failsafe puts on the class path): the first copy is taken
    postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1")
        .setPgBinaryResolver((system, arch) -> {
          String name = "postgres-" + system.toLowerCase(Locale.ROOT) + "-" + arch + ".txz";
          URL binaries = ImportPostgresIT.class.getClassLoader().getResource(name);
          if (binaries == null) {
            throw new IOException("no embedded PostgreSQL binaries " + name + " on the class path");
          }
          return binaries.openStream();
        }).start();
    // the runs' role signs in with a password; the first matching line of pg_hba.conf decides, so this one goes first
    // and this test's own connections (user postgres) stay trusted
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + DB_USER + " LOGIN PASSWORD '" + DB_PASSWORD + "'");
      String hba;
      try (ResultSet rs = s.executeQuery("SHOW hba_file")) {
        rs.next();
        hba = rs.getString(1);
      }
      Path file = Path.of(hba);
      Files.writeString(file, "host all " + DB_USER + " 127.0.0.1/32 scram-sha-256\n" + Files.readString(file));
      s.execute("SELECT pg_reload_conf()");
    }
    m365 = LocalTenant.start();
    contoso = m365.createTenant("contoso.com");
  }

  @AfterAll
  static void stop() throws IOException {
    if (m365 != null) {
      m365.close();
    }
    if (postgres != null) {
      postgres.close();
    }
  }

  /** A new, empty database and its URL. */
  static String freshDatabase() throws SQLException {
    String name = "o365mail_cli_" + DATABASES.incrementAndGet();
    try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name + " OWNER " + DB_USER);
    }
    return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/" + name;
  }

  static DataSource dataSource(String url) {
    return postgres.getDatabase("postgres", url.substring(url.lastIndexOf('/') + 1));
  }

  /** {@code c.properties} of an app-only import of {@code inbox}, with the database's user and password reference. */
  static Path config(Path home, String protocol, Mailbox inbox, String... extra) throws IOException {
    Files.createDirectories(home);
    List<String> lines = new ArrayList<>(List.of("c.store.user = " + DB_USER, "c.store.password = env:O365MAIL_DB"));
    lines.addAll(Arrays.asList(extra));
    return ChildProcesses.importConfig(m365, contoso, home, "postgres " + home.getFileName(), protocol, inbox,
        lines.toArray(String[]::new));
  }

  /** Waits for a started run (bounded) and reads what it said. */
  static Run finish(Process p) throws Exception {
    if (!p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("o365mail did not end within " + BOUND);
    }
    Path[] files = OUTPUTS.remove(p);
    return new Run(p.exitValue(), Files.readString(files[0], StandardCharsets.UTF_8),
        Files.readString(files[1], StandardCharsets.UTF_8));
  }

  /** Runs {@code java -jar o365mail.jar args} in {@code home} and waits for it. */
  static Run run(Path home, String... args) throws Exception {
    return finish(launch(home, args));
  }

  /** Starts a run whose streams {@link #finish} reads. */
  static Process launch(Path home, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString()));
    command.addAll(Arrays.asList(args));
    Path out = Files.createTempFile(home, "out", ".txt");
    Path err = Files.createTempFile(home, "err", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    pb.environment().put("O365MAIL_DB", DB_PASSWORD);
    pb.environment().put("O365MAIL_TOKEN_KEY", Base64.getEncoder().encodeToString(new byte[32]));
    Process p = pb.start();
    OUTPUTS.put(p, new Path[] {out, err});
    return p;
  }

  static String[] importArgs(Path config, String store, String out, String... more) {
    List<String> args = new ArrayList<>(List.of("import", "--config", config.toString(), "--out", out, "--json"));
    if (store != null) {
      args.addAll(List.of("--store", store));
    }
    args.addAll(Arrays.asList(more));
    return args.toArray(String[]::new);
  }

  static Set<String> emlNames(Path out) throws IOException {
    Set<String> names = new HashSet<>();
    for (Path p : ImportKilledAndResumedTest.emlFiles(out)) {
      names.add(p.getFileName().toString());
    }
    return names;
  }

  static Set<String> common(Set<String> a, Set<String> b) {
    Set<String> both = new HashSet<>(a);
    both.retainAll(b);
    return both;
  }

  static List<String> tables(String url) throws SQLException {
    List<String> names = new ArrayList<>();
    try (Connection c = dataSource(url).getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            + " ORDER BY table_name")) {
      while (rs.next()) {
        names.add(rs.getString(1));
      }
    }
    return names;
  }

  /** Every value of every table as text (bytea as its bytes read as Latin-1), for looking for secrets in clear. */
  static String everything(String url) throws SQLException {
    StringBuilder all = new StringBuilder();
    try (Connection c = dataSource(url).getConnection(); Statement s = c.createStatement()) {
      for (String table : tables(url)) {
        try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
          int columns = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= columns; i++) {
              byte[] bytes = rs.getBytes(i);
              all.append(bytes == null ? "" : new String(bytes, StandardCharsets.ISO_8859_1)).append('\t');
            }
            all.append('\n');
          }
        }
      }
    }
    return all.toString();
  }

  @Test
  void importIntoPostgres_handsOutEveryMessageOnce_andASecondRunImportsNothingAgain() throws Exception {
    Path home = dir.resolve("once");
    Mailbox inbox = ChildProcesses.invoices(contoso, "pg-once@contoso.com", 40);
    Path config = config(home, "imap", inbox);
    String url = freshDatabase();

    Run first = run(home, importArgs(config, url, "first"));
    assertThat(first.code()).as(first.toString()).isZero();
    assertThat(first.out()).contains("\"imported\":40");
    assertThat(emlNames(home.resolve("first"))).hasSize(40);
    assertThat(home.resolve("first").resolve(".o365mail")).as("the checkpoint is in the database").doesNotExist();

    // another directory, the same database: the checkpoint there says every message was handed out
    Run second = run(home, importArgs(config, url, "second"));
    assertThat(second.code()).as(second.toString()).isZero();
    assertThat(second.out()).contains("\"imported\":0");
    assertThat(emlNames(home.resolve("second"))).isEmpty();

    assertThat(tables(url)).contains("o365mail_schema_version", "o365mail_lease", "o365mail_checkpoint",
        "o365mail_seen", "o365mail_pending_action", "o365mail_dead_letter", "o365mail_token");
    try (Connection c = dataSource(url).getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT owner, expires_at < now() FROM o365mail_lease")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).as("owner pid@host").contains("@");
      assertThat(rs.getBoolean(2)).as("the lease was given back on exit").isTrue();
    }
    assertThat(everything(url)).doesNotContain(DB_PASSWORD).doesNotContain(Files.readString(home.resolve("secret")));
    assertThat(first.all() + second.all()).doesNotContain(DB_PASSWORD);
    System.out.printf("ImportPostgresIT: 40 messages imported into PostgreSQL, 0 on the second run; tables %s%n",
        tables(url));
  }

  @Test
  void aRunWhileAnotherInstanceHoldsTheLease_importsNothingAndNamesIt_thenImportsWhenFree() throws Exception {
    Path home = dir.resolve("held");
    Mailbox inbox = ChildProcesses.invoices(contoso, "pg-held@contoso.com", 12);
    Path config = config(home, "graph", inbox);
    String url = freshDatabase();
    PostgresCheckpointStore store = PostgresCheckpointStore.builder(dataSource(url)).build();
    Lease held = store.acquireLease(inbox.address(), "instance-7@elsewhere", Duration.ofMinutes(5)).orElseThrow();
    // the tables were created by this test's connection (user postgres): the runs' role may use them too
    try (Connection c = dataSource(url).getConnection(); Statement s = c.createStatement()) {
      s.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO " + DB_USER);
    }

    for (String follow : List.of("", "--follow")) {
      Run refused = run(home, follow.isEmpty() ? importArgs(config, url, "refused")
          : importArgs(config, url, "refused", follow));
      assertThat(refused.code()).as(refused.toString()).isEqualTo(O365Mail.FAILURES);
      assertThat(refused.err()).contains("another import of " + inbox.address() + " is running on " + url)
          .contains("instance instance-7@elsewhere holds its lease until").contains("nothing was imported");
      assertThat(emlNames(home.resolve("refused"))).isEmpty();
    }

    store.releaseLease(held);
    Run ok = run(home, importArgs(config, url, "ok"));
    assertThat(ok.code()).as(ok.toString()).isZero();
    assertThat(emlNames(home.resolve("ok"))).hasSize(12);
  }

  @Test
  void twoRunsAtOnceOnOneMailbox_neverBothImport() throws Exception {
    Path home = dir.resolve("race");
    Mailbox inbox = ChildProcesses.invoices(contoso, "pg-race@contoso.com", 300);
    Path config = config(home, "imap", inbox);
    String url = freshDatabase();
    int refusals = 0;
    Set<String> all = new HashSet<>();
    for (int round = 0; round < 3; round++) {
      // three rounds on one mailbox: the first imports every message, the next two nothing; no message twice
      Process a = launch(home, importArgs(config, url, "a" + round));
      Process b = launch(home, importArgs(config, url, "b" + round));
      Run ra = finish(a);
      Run rb = finish(b);
      for (Run r : List.of(ra, rb)) {
        assertThat(r.code()).as(r.toString()).isIn(O365Mail.OK, O365Mail.FAILURES);
        if (r.code() == O365Mail.FAILURES) {
          assertThat(r.err()).contains("holds its lease until").contains("nothing was imported");
          refusals++;
        }
      }
      Set<String> inA = emlNames(home.resolve("a" + round));
      Set<String> inB = emlNames(home.resolve("b" + round));
      assertThat(common(inA, inB)).as("round %d: no message in both", round).isEmpty();
      assertThat(common(all, inA)).as("round %d: no message again", round).isEmpty();
      assertThat(common(all, inB)).as("round %d: no message again", round).isEmpty();
      all.addAll(inA);
      all.addAll(inB);
    }
    assertThat(all).hasSize(300);
    System.out.printf("ImportPostgresIT: 3 rounds of two runs at once, 300 messages each imported once, %d runs"
        + " refused by the lease%n", refusals);
  }

  @Test
  void aDelegatedSignInInPostgres_isSealed_andNothingSecretIsInTheTables() throws Exception {
    Path home = dir.resolve("tokens");
    Files.createDirectories(home);
    User alice = contoso.addUser("pg-alice@contoso.com", USER_PASSWORD);
    alice.mailbox().deliver(TestMessages.text("billing@fabrikam.com", alice.userPrincipalName(), "Invoice A", "1"));
    Application app = contoso.registerApp("postgres tokens");
    app.allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
    String url = freshDatabase();
    m365.writeTrustStore(home.resolve("trust.p12"), "changeit".toCharArray());
    Files.writeString(home.resolve("trust-password"), "changeit");
    Files.writeString(home.resolve("password"), USER_PASSWORD);
    Path config = Files.writeString(home.resolve("c.properties"), String.join("\n",
        "c.clientId = " + app.clientId(), "c.tenant = " + contoso.id(), "c.flow = username-password",
        "c.username = " + alice.userPrincipalName(), "c.password = file:password", "c.protocol = imap",
        "c.mailbox = " + alice.userPrincipalName(), "c.authorityHost = " + m365.authorityHost(),
        "c.imapHost = " + m365.hostName(), "c.imapPort = " + m365.imapPort(), "c.trustStore = trust.p12",
        "c.trustStore.password = file:trust-password", "c.store.user = " + DB_USER,
        "c.store.password = env:O365MAIL_DB", "c.tokenStore = " + url, "c.tokenStore.key = env:O365MAIL_TOKEN_KEY",
        ""));

    Run run = run(home, importArgs(config, url, "out"));
    assertThat(run.code()).as(run.toString()).isZero();
    assertThat(emlNames(home.resolve("out"))).hasSize(1);
    int rows;
    try (Connection c = dataSource(url).getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM o365mail_token")) {
      rs.next();
      rows = rs.getInt(1);
    }
    assertThat(rows).as("the sign-in is kept in PostgreSQL").isPositive();
    // sealed: no password, no JSON of a token cache, no JWT, no refresh token's field name
    assertThat(everything(url)).doesNotContain(USER_PASSWORD).doesNotContain(DB_PASSWORD)
        .doesNotContain("refresh").doesNotContain("RefreshToken").doesNotContain("eyJ").doesNotContain("secret");
    assertThat(run.all()).doesNotContain(DB_PASSWORD).doesNotContain(USER_PASSWORD);
    System.out.printf("ImportPostgresIT: delegated sign-in kept in %d sealed o365mail_token row(s)%n", rows);
  }

  /**
   * One device-code sign-in ({@code o365mail login}, the testkit's user approving the code) kept in PostgreSQL, then
   * imports from two other directories, as two instances on other machines would run them, with no token file of
   * their own: both import without signing in again, through the sealed row.
   */
  @Test
  void oneDeviceCodeSignInInPostgres_isUsedByTwoOtherInstances() throws Exception {
    User bob = contoso.addUser("pg-bob@contoso.com", USER_PASSWORD);
    Application app = contoso.registerApp("postgres shared sign-in");
    app.allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All").grantAdminConsent();
    String url = freshDatabase();
    List<Path> homes = new ArrayList<>();
    for (String name : List.of("signin", "instance1", "instance2")) {
      Path home = Files.createDirectories(dir.resolve("shared-" + name));
      m365.writeTrustStore(home.resolve("trust.p12"), "changeit".toCharArray());
      Files.writeString(home.resolve("trust-password"), "changeit");
      Files.writeString(home.resolve("c.properties"), String.join("\n",
          "c.clientId = " + app.clientId(), "c.tenant = " + contoso.id(), "c.flow = device-code",
          "c.protocol = imap", "c.mailbox = " + bob.userPrincipalName(), "c.authorityHost = " + m365.authorityHost(),
          "c.imapHost = " + m365.hostName(), "c.imapPort = " + m365.imapPort(), "c.trustStore = trust.p12",
          "c.trustStore.password = file:trust-password", "c.store.user = " + DB_USER,
          "c.store.password = env:O365MAIL_DB", "c.tokenStore = " + url,
          "c.tokenStore.key = env:O365MAIL_TOKEN_KEY", ""));
      homes.add(home);
    }
    Process login = launch(homes.get(0), "login", "--config", "c.properties", "--timeout", "PT60S");
    var session = m365.deviceCodes().awaitPending(Duration.ofSeconds(60));
    m365.deviceCodes().approve(session.userCode(), bob.userPrincipalName(), USER_PASSWORD);
    Run signedIn = finish(login);
    assertThat(signedIn.code()).as(signedIn.toString()).isZero();
    assertThat(signedIn.out()).contains("the refresh token is kept in the o365mail_token table of " + url);

    for (int i = 1; i <= 2; i++) {
      bob.mailbox().deliver(TestMessages.text("billing@fabrikam.com", bob.userPrincipalName(), "Invoice B" + i, "1"));
      Path home = homes.get(i);
      Run imported = run(home, importArgs(Path.of("c.properties"), url, "out"));
      assertThat(imported.code()).as("instance %d: %s", i, imported).isZero();
      assertThat(imported.out()).contains("\"imported\":1");
      assertThat(emlNames(home.resolve("out"))).hasSize(1);
      try (var files = Files.list(home)) {
        assertThat(files.map(f -> f.getFileName().toString())).as("no token file of its own")
            .noneMatch(n -> n.startsWith("token"));
      }
    }
    assertThat(everything(url)).doesNotContain(USER_PASSWORD).doesNotContain("refresh").doesNotContain("eyJ");
    System.out.println("ImportPostgresIT: one device-code sign-in in PostgreSQL used by 2 other instances");
  }

  @Test
  void everyStoreMistake_exits64NamingItsKey_andAServerThatDoesNotAnswer_exits2() throws Exception {
    Path home = dir.resolve("mistakes");
    Mailbox inbox = ChildProcesses.invoices(contoso, "pg-mistakes@contoso.com", 1);
    Path config = config(home, "imap", inbox);
    String url = freshDatabase();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    record Case(String store, List<String> extra, int code, String said) {}
    List<Case> cases = List.of(
        new Case("postgres://127.0.0.1/db", List.of(), 64, "--store 'postgres://127.0.0.1/db' is not a PostgreSQL"
            + " JDBC URL"),
        new Case("jdbc:mysql://127.0.0.1/db", List.of(), 64, "--store 'jdbc:mysql://127.0.0.1/db' is not a"
            + " PostgreSQL JDBC URL"),
        new Case("jdbc:postgresql://127.0.0.1:" + closedPort + "/db?password=" + DB_PASSWORD, List.of(), 64,
            "--store holds a password parameter"),
        new Case("jdbc:postgresql:db", List.of(), 64, "--store 'jdbc:postgresql:db' must name a host and a database"),
        new Case(url, List.of("c.store.password = env:O365MAIL_TEST_UNSET"), 64,
            "c.store.password refers to environment variable O365MAIL_TEST_UNSET, which is not set"),
        new Case(url, List.of("c.store.password = file:missing"), 64, "c.store.password refers to file "),
        new Case(url, List.of("c.store.password = " + DB_PASSWORD), 64, "c.store.password holds a literal secret"),
        new Case(url, List.of("c.store.user = nobody"), 64, "c.store.user / c.store.password: the PostgreSQL server"
            + " at 127.0.0.1:" + postgres.getPort() + " refused them"),
        new Case(url, List.of("c.store.password = file:wrong"), 64, "c.store.user / c.store.password: the"
            + " PostgreSQL server at 127.0.0.1:" + postgres.getPort() + " refused them"),
        new Case(url + "_missing", List.of(), 64, "--store '" + url + "_missing': "),
        new Case(url, List.of("c.tokenStore = jdbc:mysql://127.0.0.1/db"), 64, "c.tokenStore"
            + " 'jdbc:mysql://127.0.0.1/db' is not a PostgreSQL JDBC URL"),
        new Case(url, List.of("c.tokenStore = " + url), 64, "c.tokenStore.key is required with a tokenStore in"
            + " PostgreSQL"),
        new Case(url, List.of("c.tokenStore = " + url, "c.tokenStore.key = env:O365MAIL_DB"), 64,
            "c.tokenStore.key must"),
        new Case("jdbc:postgresql://127.0.0.1:" + closedPort + "/db", List.of(), 2, "o365mail: --store: the"
            + " PostgreSQL server at 127.0.0.1:" + closedPort + " does not answer"));
    int i = 0;
    for (Case c : cases) {
      Path one = home.resolve("case" + i++);
      Files.createDirectories(one);
      Path file = Files.writeString(one.resolve("c.properties"), Files.readAllLines(config).stream()
          .filter(l -> c.extra().stream().noneMatch(e -> l.startsWith(e.substring(0, e.indexOf('=')))))
          .reduce("", (a, l) -> a + l + "\n") + String.join("\n", c.extra()) + "\n");
      Files.copy(home.resolve("secret"), one.resolve("secret"));
      Files.writeString(one.resolve("wrong"), "not-the-password");
      Files.copy(home.resolve("trust.p12"), one.resolve("trust.p12"));
      Files.copy(home.resolve("trust-password"), one.resolve("trust-password"));
      long t0 = System.nanoTime();
      Run r = run(one, importArgs(file, c.store(), "out"));
      long millis = (System.nanoTime() - t0) / 1_000_000;
      assertThat(r.code()).as(c.store() + " " + c.extra() + "\n" + r).isEqualTo(c.code());
      assertThat(r.err()).as(r.toString()).contains(c.said());
      assertThat(r.all()).doesNotContain(DB_PASSWORD).doesNotContain("\tat ").doesNotContain("Caused by");
      assertThat(emlNames(one.resolve("out"))).isEmpty();
      System.out.printf("ImportPostgresIT mistake %d: exit %d in %d ms: %s%n", i, r.code(), millis, c.said());
    }
  }
}
