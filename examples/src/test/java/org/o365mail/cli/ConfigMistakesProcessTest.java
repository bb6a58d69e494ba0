package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.testkit.internal.Pki;

/**
 * Configuration mistakes given to {@code o365mail} as a real process (its own JVM, its exit code, its streams):
 * every mistake exits 64 and names its key, with no stack trace and a short output, and within a time bound, also
 * for a FIFO, {@code /dev/zero} or a directory as the file and for megabytes of unknown keys. Warnings go to
 * stderr and leave the exit code alone. Every endpoint of the valid parts is a closed port on loopback, so nothing
 * leaves the machine even where a check passed.
 */
@Timeout(600)
class ConfigMistakesProcessTest {
  /** How long one run may take: it should take about a second (a JVM start), the machine is noisy. */
  static final Duration BOUND = Duration.ofSeconds(30);

  static final String SECRET = "Abc8Q~process-test-secret-0123456789abcdef";

  @TempDir static Path dir;
  static int closedPort;

  @BeforeAll
  static void files() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort(); // closed again below: connecting to it is refused at once
    }
    ownerOnly(Files.writeString(dir.resolve("secret"), SECRET));
    ownerOnly(Files.writeString(dir.resolve("password"), "changeit"));
    ownerOnly(Files.writeString(dir.resolve("wrong"), "wrong-password"));
    ownerOnly(Files.writeString(dir.resolve("short-key"), "c2hvcnQ="));
    ownerOnly(Files.writeString(dir.resolve("token-key"), Base64.getEncoder().encodeToString(new byte[32])));
    Files.write(dir.resolve("big"), new byte[64 * 1024 + 1]);
    Files.createDirectory(dir.resolve("sub"));
    assertThat(new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start().waitFor()).isZero();
    KeyPair keys = Pki.rsaKeyPair();
    X509Certificate cert = Pki.clientCertificate(keys, "config test", Instant.now().minusSeconds(60),
        Instant.now().plusSeconds(86_400));
    Pki.writePkcs12(dir.resolve("app.p12"), "app", keys.getPrivate(), cert, "changeit".toCharArray());
    Pki.writeTrustStore(dir.resolve("trust.p12"), Pki.trustStore(cert), "changeit".toCharArray());
    Files.writeString(dir.resolve("key.pem"), Pki.privateKeyPem(keys.getPrivate()));
  }

  static void ownerOnly(Path p) throws IOException {
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
  }

  /** A valid client-secret connection whose endpoints are a closed port on loopback. */
  static Map<String, String> valid(String name) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("clientId", "1b2c3d4e-0000-1111-2222-333344445555");
    m.put("tenant", "contoso.onmicrosoft.com");
    m.put("flow", "client-secret");
    m.put("clientSecret", "file:secret");
    m.put("protocol", "graph");
    m.put("mailbox", name + "@contoso.com");
    m.put("authorityHost", "https://127.0.0.1:" + closedPort);
    m.put("graphBaseUrl", "https://127.0.0.1:" + closedPort + "/v1.0");
    m.put("imapHost", "127.0.0.1");
    m.put("imapPort", String.valueOf(closedPort));
    m.put("smtpHost", "127.0.0.1");
    m.put("smtpPort", String.valueOf(closedPort));
    return m;
  }

  /** One mistake: the keys changed from {@link #valid} (a null value removes the key), and what must be said. */
  record Mistake(Map<String, String> changes, String said) {
    static Mistake of(String said, String... keyValues) {
      Map<String, String> changes = new LinkedHashMap<>();
      for (int i = 0; i < keyValues.length; i += 2) {
        changes.put(keyValues[i], keyValues[i + 1]);
      }
      return new Mistake(changes, said);
    }
  }

  /** Every way of getting a key wrong that issue 14 and its review found; {@code said} follows "<connection>.". */
  static List<Mistake> mistakes() {
    String loopback = "127.0.0.1:" + closedPort;
    return List.of(
        Mistake.of("clientId 'LogicalDOC' is not a GUID", "clientId", "LogicalDOC"),
        Mistake.of("clientId is required", "clientId", ""),
        Mistake.of("tenant: tenant 'common' is not a tenant", "tenant", "common"),
        Mistake.of("accountTypes 'EVERYONE' is not one of", "accountTypes", "EVERYONE"),
        Mistake.of("accountTypes PERSONAL_ONLY: ", "accountTypes", "PERSONAL_ONLY"),
        Mistake.of("cloud 'MARS' is not one of", "cloud", "MARS"),
        Mistake.of("flow: flow 'oauth' is not one of", "flow", "oauth"),
        Mistake.of("clientSecret holds a literal secret", "clientSecret", SECRET),
        Mistake.of("clientSecret refers to environment variable O365MAIL_TEST_UNSET_VARIABLE, which is not set",
            "clientSecret", "env:O365MAIL_TEST_UNSET_VARIABLE"),
        Mistake.of("clientSecret = env: names no environment variable", "clientSecret", "env:"),
        Mistake.of("clientSecret refers to file " + dir.resolve("missing") + " does not exist",
            "clientSecret", "file:missing"),
        Mistake.of("clientSecret refers to file " + dir.resolve("fifo") + " is not a regular file",
            "clientSecret", "file:fifo"),
        Mistake.of("clientSecret refers to file /dev/zero is not a regular file", "clientSecret", "file:/dev/zero"),
        Mistake.of("clientSecret refers to file " + dir.resolve("sub") + " is a directory", "clientSecret", "file:sub"),
        Mistake.of("clientSecret refers to file " + dir.resolve("big") + " has 65537 bytes", "clientSecret",
            "file:big"),
        Mistake.of("clientSecret.expiresAt 'next year' is not a date", "clientSecret.expiresAt", "next year"),
        Mistake.of("protocol 'pop3' is not one of graph, imap", "protocol", "pop3"),
        Mistake.of("mailbox 'invoices' is not an email address", "mailbox", "invoices"),
        Mistake.of("folder: folder path 'Inbox//Sub' has an empty level", "folder", "Inbox//Sub"),
        Mistake.of("postAction 'archive' is not one of", "postAction", "archive"),
        Mistake.of("postAction 'move:/' names no folder", "postAction", "move:/"),
        Mistake.of("parkFolder '/' is not a folder path", "parkFolder", "/"),
        Mistake.of("authorityHost 'https://' is not a URL", "authorityHost", "https://"),
        Mistake.of("authorityHost 'http://" + loopback + "' must be an https URL", "authorityHost",
            "http://" + loopback),
        Mistake.of("authorityHost 'https://" + loopback + "/contoso.com' must be only the scheme and host",
            "authorityHost", "https://" + loopback + "/contoso.com"),
        Mistake.of("graphBaseUrl 'https://' is not a URL", "graphBaseUrl", "https://"),
        Mistake.of("graphBaseUrl '/v1.0' must be an https URL", "graphBaseUrl", "/v1.0"),
        Mistake.of("graphBaseUrl 'http://graph.example/v1.0' must be an https URL", "graphBaseUrl",
            "http://graph.example/v1.0"),
        Mistake.of("graphBaseUrl 'https://" + loopback + "/v1.0?x=1' must have no user, query or fragment",
            "graphBaseUrl", "https://" + loopback + "/v1.0?x=1"),
        Mistake.of("graphRequestWindow '10/600' must be", "graphRequestWindow", "10/600"),
        Mistake.of("imapHost 'imaps://127.0.0.1' is not a host name", "imapHost", "imaps://127.0.0.1"),
        Mistake.of("imapPort '99999' is not a port number", "imapPort", "99999"),
        Mistake.of("smtpPort 'five' is not a port number", "smtpPort", "five"),
        Mistake.of("trustStore: file " + dir.resolve("missing.p12") + " does not exist", "trustStore", "missing.p12"),
        Mistake.of("trustStore: file " + dir.resolve("sub") + " is a directory", "trustStore", "sub"),
        Mistake.of("trustStore: file " + dir.resolve("fifo") + " is not a regular file", "trustStore", "fifo"),
        Mistake.of("trustStore: " + dir.resolve("key.pem") + " holds no", "trustStore", "key.pem"),
        Mistake.of("trustStore: cannot open " + dir.resolve("trust.p12") + ": the password of", "trustStore",
            "trust.p12", "trustStore.password", "file:wrong"),
        Mistake.of("trustStore.password holds a literal secret", "trustStore", "trust.p12", "trustStore.password",
            "changeit"),
        Mistake.of("tokenStore.key holds a literal secret", "tokenStore.key", "c2hvcnQ="),
        Mistake.of("tokenStore.key must decode (base64) to 32 bytes", "tokenStore.key", "file:short-key"),
        Mistake.of("tokenStore: " + dir.resolve("secret") + " is not a directory", "tokenStore", "secret"),
        Mistake.of("tokenStore 'jdbc:mysql://127.0.0.1/o365mail' is not a PostgreSQL JDBC URL", "tokenStore",
            "jdbc:mysql://127.0.0.1/o365mail"),
        Mistake.of("tokenStore.key is required with a tokenStore in PostgreSQL", "tokenStore",
            "jdbc:postgresql://127.0.0.1:" + closedPort + "/o365mail"),
        Mistake.of("tokenStore holds a password parameter", "tokenStore",
            "jdbc:postgresql://127.0.0.1:" + closedPort + "/o365mail?password=" + SECRET, "tokenStore.key",
            "file:token-key"),
        Mistake.of("store.password holds a literal secret", "store.password", SECRET),
        Mistake.of("store.password refers to environment variable O365MAIL_TEST_UNSET_VARIABLE, which is not set",
            "store.password", "env:O365MAIL_TEST_UNSET_VARIABLE"),
        Mistake.of("certificate: " + dir.resolve("trust.p12") + " cannot be used", "flow", "client-certificate",
            "clientSecret", null, "certificate", "trust.p12", "certificate.password", "file:password"),
        Mistake.of("certificate: " + dir.resolve("app.p12") + " cannot be used", "flow", "client-certificate",
            "clientSecret", null, "certificate", "app.p12", "certificate.password", "file:wrong"),
        Mistake.of("certificate (a PKCS#12 file) or both", "flow", "client-certificate", "clientSecret", null),
        Mistake.of("username is required for flow username-password", "flow", "username-password",
            "password", "file:password"),
        Mistake.of("username 'queue' is not a sign-in name", "flow", "username-password", "username", "queue",
            "password", "file:password"),
        Mistake.of("flow client-secret cannot sign in personal Microsoft accounts", "tenant", "consumers"),
        Mistake.of("accountTypes MULTI_TENANT cannot sign in through /consumers", "tenant", "consumers",
            "accountTypes", "MULTI_TENANT", "flow", "device-code", "clientSecret", null),
        Mistake.of("cloud US_GOVERNMENT: personal Microsoft accounts exist in the global cloud only", "tenant",
            "consumers", "cloud", "US_GOVERNMENT", "flow", "device-code", "clientSecret", null),
        Mistake.of("colour is not a known key", "colour", "blue"));
  }

  /** What a run of the tool left. */
  record Run(int exitCode, String out, String err, Duration took) {
    String all() {
      return out + err;
    }
  }

  /** Runs {@code o365mail args} in its own JVM; fails when it is not done within {@link #BOUND}. */
  static Run o365mail(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), O365Mail.class.getName()));
    command.addAll(Arrays.asList(args));
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    long start = System.nanoTime();
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
    try {
      assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).as("o365mail %s ends within %s", args, BOUND)
          .isTrue();
    } finally {
      p.destroyForcibly();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8), took);
  }

  static Path config(String fileName, Map<String, Map<String, String>> connections) throws IOException {
    StringBuilder text = new StringBuilder();
    connections.forEach((name, values) -> values.forEach((k, v) -> {
      if (v != null) {
        text.append(name).append('.').append(k).append(" = ").append(v).append('\n');
      }
    }));
    return Files.writeString(dir.resolve(fileName), text, StandardCharsets.UTF_8);
  }

  static void assertNoStackTrace(Run run) {
    assertThat(run.all()).doesNotContain("\tat ").doesNotContain("Exception").doesNotContain("Caused by")
        .doesNotContain(SECRET);
  }

  /**
   * The mistakes in files of ten connections, one mistake each (the tool reports every problem of a file at once),
   * through five commands: each file exits 64 and the output names every mistake's key and what is wrong.
   */
  @Test
  void everyMistake_exits64NamingItsKey_withoutAStackTrace() throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/zero")), "/dev/zero");
    List<Mistake> mistakes = mistakes();
    List<String[]> commands = List.of(new String[] {"doctor"}, new String[] {"import", "--out", "imported"},
        new String[] {"send", "--to", "a@contoso.com", "--subject", "s"}, new String[] {"secrets"},
        new String[] {"login"});
    int named = 0;
    long slowest = 0;
    int largest = 0;
    for (int group = 0; group * 10 < mistakes.size(); group++) {
      Map<String, Map<String, String>> connections = new LinkedHashMap<>();
      Map<String, String> said = new LinkedHashMap<>();
      for (int i = group * 10; i < Math.min(mistakes.size(), group * 10 + 10); i++) {
        String name = "m" + i;
        Map<String, String> values = valid(name);
        values.putAll(mistakes.get(i).changes());
        connections.put(name, values);
        said.put(name, name + "." + mistakes.get(i).said());
      }
      String[] command = commands.get(group % commands.size());
      List<String> args = new ArrayList<>(Arrays.asList(command));
      args.addAll(List.of("--config", config("group" + group + ".properties", connections).toString()));
      Run run = o365mail(args.toArray(String[]::new));

      assertThat(run.exitCode()).as(run.all()).isEqualTo(O365Mail.USAGE);
      // doctor reports the configuration check on stdout, the other commands fail on stderr
      String report = command[0].equals("doctor") ? run.out() : run.err();
      for (Map.Entry<String, String> e : said.entrySet()) {
        assertThat(report).as(e.getKey()).contains(e.getValue());
        named++;
      }
      assertThat(report).doesNotContain("more problems");
      if (!command[0].equals("doctor")) {
        assertThat(report).contains(said.size() + " problems:");
      }
      assertNoStackTrace(run);
      assertThat(run.all().length()).isLessThan(8_000);
      assertThat(run.took()).isLessThan(BOUND);
      slowest = Math.max(slowest, run.took().toMillis());
      largest = Math.max(largest, run.all().length());
    }
    assertThat(named).isEqualTo(mistakes.size());
    System.out.printf("config mistakes: %d of %d exit 64 naming their key; slowest run %d ms; largest output %d"
        + " bytes%n", named, mistakes.size(), slowest, largest);
  }

  @Test
  void aFifoADeviceADirectoryOrNothingAsTheConfiguration_isRefusedAtOnce() throws Exception {
    for (String file : List.of(dir.resolve("fifo").toString(), "/dev/zero", dir.resolve("sub").toString(),
        dir.resolve("missing.properties").toString())) {
      Run run = o365mail("secrets", "--config", file);
      assertThat(run.exitCode()).as(run.all()).isEqualTo(O365Mail.USAGE);
      assertThat(run.err()).as(file).contains("--config: " + file + " ");
      assertThat(run.err().lines().count()).isEqualTo(2);
      assertNoStackTrace(run);
      assertThat(run.took()).isLessThan(BOUND);
    }
  }

  @Test
  void megabytesOfUnknownKeys_giveAFewHundredBytes() throws Exception {
    StringBuilder keys = new StringBuilder();
    valid("a").forEach((k, v) -> keys.append("a.").append(k).append(" = ").append(v).append('\n'));
    for (int i = 0; keys.length() < 10 << 20; i++) {
      keys.append("a.unknown").append(i).append(" = some value\n");
    }
    Path tenMegabytes = Files.writeString(dir.resolve("ten.properties"), keys);
    Run big = o365mail("doctor", "--config", tenMegabytes.toString());
    assertThat(big.exitCode()).as(big.all()).isEqualTo(O365Mail.USAGE);
    assertThat(big.out()).contains("--config: " + tenMegabytes + " has " + Files.size(tenMegabytes)
        + " bytes, more than the 1048576 allowed");
    assertThat(big.all().length()).isLessThan(500);

    Path underTheCap = Files.writeString(dir.resolve("under.properties"), keys.substring(0, 1_000_000)
        .substring(0, keys.substring(0, 1_000_000).lastIndexOf('\n') + 1));
    Run many = o365mail("doctor", "--config", underTheCap.toString());
    assertThat(many.exitCode()).as(many.all()).isEqualTo(O365Mail.USAGE);
    assertThat(many.out()).contains("a.unknown0, a.unknown1").containsPattern("a\\.unknown9 \\(and \\d+ more\\) are"
        + " not known keys");
    assertThat(many.all().length()).isLessThan(1_500);
    assertNoStackTrace(many);
    System.out.printf("unknown keys: %d bytes of file -> %d bytes of output; %d bytes -> %d bytes%n",
        Files.size(tenMegabytes), big.all().length(), Files.size(underTheCap), many.all().length());
  }

  @Test
  void aKeySetTwice_exits64NamingItAndBothLines() throws Exception {
    Map<String, String> values = valid("twice");
    Path file = config("twice.properties", Map.of("twice", values));
    Files.writeString(file, "# the same key again, as a careless edit leaves it\ntwice.mailbox = other@contoso.com\n",
        StandardOpenOption.APPEND);
    int last = Files.readAllLines(file).size();
    int first = Files.readAllLines(file).indexOf("twice.mailbox = twice@contoso.com") + 1;
    Run run = o365mail("import", "--config", file.toString(), "--out", "twice-out");
    assertThat(run.exitCode()).as(run.all()).isEqualTo(O365Mail.USAGE);
    assertThat(run.err()).contains("twice.mailbox is set twice, on lines " + first + " and " + last + ": keep one");
    assertThat(Files.exists(dir.resolve("twice-out"))).as("nothing imported").isFalse();
    assertNoStackTrace(run);
  }

  /**
   * A device-code connection whose token store key is a file: with the key file others can read, without a key,
   * and sharing its mailbox with another connection, each warns once on stderr; the exit code is the one of the
   * same command without the cause of the warning.
   */
  @Test
  void warnings_goToStderr_andLeaveTheExitCodeAlone() throws Exception {
    Map<String, String> delegated = valid("people");
    delegated.put("flow", "device-code");
    delegated.remove("clientSecret");
    delegated.put("tokenStore", "tokens");
    delegated.put("tokenStore.key", "file:token-key");
    Run clean = o365mail("secrets", "--config", config("clean.properties", Map.of("people", delegated)).toString());
    assertThat(clean.err()).doesNotContain("warning");

    Path readable = Files.copy(dir.resolve("token-key"), dir.resolve("readable-key"));
    Files.setPosixFilePermissions(readable, PosixFilePermissions.fromString("rw-r--r--"));
    delegated.put("tokenStore.key", "file:readable-key");
    Run others = o365mail("secrets", "--config", config("readable.properties", Map.of("people", delegated)).toString());
    assertThat(others.err()).contains("o365mail: warning: people.tokenStore.key: " + readable
        + " holds a secret and is readable by group and others (rw-r--r--)");

    delegated.remove("tokenStore.key");
    Run plain = o365mail("secrets", "--config", config("plain.properties", Map.of("people", delegated)).toString());
    assertThat(plain.err()).contains("o365mail: warning: people.tokenStore: refresh tokens will be stored"
        + " unencrypted in " + dir.resolve("tokens") + "; set people.tokenStore.key = env:NAME");

    delegated.put("tokenStore.key", "file:token-key");
    Map<String, String> second = new LinkedHashMap<>(delegated);
    second.put("clientId", "2b2c3d4e-0000-1111-2222-333344445555");
    Map<String, Map<String, String>> both = new LinkedHashMap<>();
    both.put("people", delegated);
    both.put("again", second);
    Run shared = o365mail("secrets", "--config", config("shared.properties", both).toString(), "--connection",
        "people");
    assertThat(shared.err()).contains("o365mail: warning: again.mailbox and people.mailbox are both"
        + " people@contoso.com");

    for (Run run : List.of(others, plain, shared)) {
      assertThat(run.exitCode()).as(run.all()).isEqualTo(clean.exitCode()).isNotEqualTo(O365Mail.USAGE)
          .isNotEqualTo(O365Mail.INTERNAL);
      assertThat(run.err().lines().filter(l -> l.startsWith("o365mail: warning: ")).count()).isEqualTo(1);
      assertNoStackTrace(run);
    }
    assertThat(Files.readString(readable)).isNotEmpty().satisfies(key -> assertThat(others.all()).doesNotContain(key));
    System.out.println("warning runs exit " + clean.exitCode() + " as without the warning: "
        + Stream.of(others, plain, shared).map(r -> String.valueOf(r.exitCode())).collect(Collectors.joining(",")));
  }
}
