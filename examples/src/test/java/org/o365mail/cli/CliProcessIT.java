package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code o365mail} as people run it: the jar {@code mvn package} built, started with {@code java -jar} (its manifest
 * class path, its own JVM, streams and exit code), against {@code testkit serve} started the same way. Every command
 * and its {@code --json} form once; what a process shows and an in-process run cannot (output left unflushed at
 * {@code System.exit}, the logging backend's lines on stderr, the version the build stamped) is asserted here.
 */
@Timeout(600)
class CliProcessIT {
  /** One command should take a JVM start and a few round trips on loopback; the machine is noisy. */
  static final Duration BOUND = Duration.ofSeconds(90);

  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static Path jar;
  static Process serve;
  static StringBuffer serveOut = new StringBuffer();
  static Path config;
  static List<String> suggested = new ArrayList<>();

  /** A finished run: its exit code and its two streams. */
  record Run(int code, String out, String err) {
    JsonNode json() throws IOException {
      return JSON.readTree(out);
    }

    @Override
    public String toString() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  @BeforeAll
  static void serveTheLocalTenant() throws Exception {
    jar = Path.of(System.getProperty("o365mail.jar", "target/o365mail.jar")).toAbsolutePath();
    assertThat(jar).as("the jar mvn package builds (run this through mvn verify)").isRegularFile();
    serve = new ProcessBuilder(java("testkit", "serve", "--dir", "tk")).directory(dir.toFile())
        .redirectError(dir.resolve("serve.err").toFile()).start();
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(serve.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          serveOut.append(line).append('\n');
          if (line.startsWith("Stop with Ctrl-C")) {
            ready.complete(null);
          }
        }
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
      ready.completeExceptionally(new IllegalStateException("testkit serve ended its output early:\n" + serveOut));
    }, "testkit-serve-output");
    reader.setDaemon(true);
    reader.start();
    ready.get(BOUND.toSeconds(), TimeUnit.SECONDS);
    Matcher m = Pattern.compile("(?m)^Sample configuration (\\S+):$").matcher(serveOut);
    assertThat(m.find()).as(serveOut.toString()).isTrue();
    config = Path.of(m.group(1));
    Matcher hints = Pattern.compile("(?m)^ *(?:Try|or): o365mail (.+)$").matcher(serveOut);
    while (hints.find()) {
      suggested.add(hints.group(1));
    }
  }

  @AfterAll
  static void stopIt() throws Exception {
    if (serve != null) {
      serve.destroy(); // SIGTERM, as a service manager stops it
      assertThat(serve.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).as("testkit serve stops on SIGTERM").isTrue();
      assertThat(serve.exitValue()).isEqualTo(143);
    }
  }

  static List<String> java(String... args) {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString()));
    command.addAll(Arrays.asList(args));
    return command;
  }

  /** Runs {@code java -jar o365mail.jar args} in {@link #dir}, stdin empty, and waits for it (bounded). */
  static Run run(String... args) throws Exception {
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = new ProcessBuilder(java(args)).directory(dir.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
        .start();
    if (!p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor();
      throw new AssertionError("o365mail " + String.join(" ", args) + " did not end within " + BOUND + ":\n"
          + Files.readString(out) + Files.readString(err));
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static String[] withConfig(String command, String connection, String... more) {
    return Stream.concat(Stream.of(command, "--config", config.toString(), "--connection", connection),
        Arrays.stream(more)).toArray(String[]::new);
  }

  /**
   * A further connection {@code name} beside the sample configuration: the sample's connection {@code from} less the
   * keys in {@code dropped}, plus {@code lines}. Its file references (secret, trust store) are the sample's.
   */
  static Path extraConnection(String name, String from, List<String> dropped, String... lines) throws IOException {
    Path file = dir.resolve(config).resolveSibling(name + ".properties");
    String section = Files.readAllLines(dir.resolve(config)).stream().filter(l -> l.startsWith(from + "."))
        .map(l -> name + l.substring(from.length()))
        .filter(l -> dropped.stream().noneMatch(k -> l.startsWith(name + "." + k + " ")))
        .collect(Collectors.joining("\n"));
    Files.writeString(file, section + "\n" + String.join("\n", lines) + "\n");
    return dir.relativize(file);
  }

  @Test
  void version_isTheBuildsVersion() throws Exception {
    Run r = run("--version");
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).isEqualTo("o365mail " + System.getProperty("o365mail.version", "0.1.0-SNAPSHOT")
        + System.lineSeparator());
    assertThat(r.err()).isEmpty();
  }

  @Test
  void help_listsEveryCommandAndTheExitCodes_andNoCommandIsAUsageError() throws Exception {
    Run help = run("--help");
    assertThat(help.code()).as(help.toString()).isZero();
    assertThat(help.out()).contains("demo", "doctor", "import", "send", "secrets", "setup", "login", "testkit")
        .contains("Exit codes:", "64", "143");
    assertThat(help.err()).isEmpty();
    Run none = run();
    assertThat(none.code()).isEqualTo(64);
    assertThat(none.out()).startsWith("Usage: o365mail");
  }

  @Test
  void testkitServe_suggestsCommandsThatPass() throws Exception {
    assertThat(suggested).as(serveOut.toString()).hasSize(2);
    for (String hint : suggested) {
      Run r = run(hint.split(" "));
      assertThat(r.code()).as(hint + "\n" + r).isZero();
      assertThat(r.out()).contains("PASS  token acquired", "PASS  message header fetched", "Result: PASS");
      // the sample gives each connection its own mailbox: no warning of two imports racing on one
      assertThat(r.err()).as(hint).isEmpty();
    }
    // what the hint said before: the sample has two connections, so without --connection it is a usage error
    Run bare = run("doctor", "--config", config.toString());
    assertThat(bare.code()).isEqualTo(64);
    assertThat(bare.out()).contains("choose one with --connection");
  }

  @Test
  void doctorJson_parsesAndHoldsEveryCheck() throws Exception {
    for (String connection : List.of("imap", "graph")) {
      Run r = run(withConfig("doctor", connection, "--json"));
      assertThat(r.code()).as(r.toString()).isZero();
      JsonNode j = r.json();
      assertThat(j.path("connection").asText()).isEqualTo(connection);
      assertThat(j.path("overall").asText()).isEqualTo("PASS");
      assertThat(j.path("exitCode").asInt(-1)).isZero();
      assertThat(j.path("elapsedMillis").isNumber()).isTrue();
      List<String> checks = new ArrayList<>();
      j.path("checks").forEach(c -> {
        checks.add(c.path("check").asText());
        assertThat(c.path("status").asText()).isIn("PASS", "SKIPPED");
      });
      assertThat(checks).contains("configuration valid", "authority reachable", "token acquired",
          "claims fit the connector", "mailbox opened", "folder listed", "message header fetched", "credential expiry");
    }
  }

  @Test
  void secrets_printsItsReport_asTextAndAsJson() throws Exception {
    Run text = run(withConfig("secrets", "imap"));
    assertThat(text.code()).as(text.toString()).isZero();
    assertThat(text.out()).startsWith("Credential expiry, checked ").contains("OK", "client secret", "days left");
    Run json = run(withConfig("secrets", "graph", "--json"));
    assertThat(json.code()).as(json.toString()).isZero();
    JsonNode j = json.json();
    assertThat(j.path("overall").asText()).isEqualTo("OK");
    assertThat(j.path("checkedAt").asText()).isNotEmpty();
    JsonNode first = j.path("credentials").path(0);
    assertThat(first.path("type").asText()).isEqualTo("CLIENT_SECRET");
    assertThat(first.path("status").asText()).isEqualTo("OK");
    assertThat(first.path("daysLeft").asInt()).isBetween(170, 181);
    assertThat(first.path("expiresAt").asText()).isNotEmpty();
    // the secret itself is never printed
    String secret = Files.readString(dir.resolve(config).resolveSibling("client-secret")).strip();
    assertThat(text.out() + text.err() + json.out() + json.err()).doesNotContain(secret);
  }

  @Test
  void import_writesTheMessages_asTextAndAsJson_andASecondRunSkipsThem() throws Exception {
    Run text = run(withConfig("import", "imap", "--out", "imported-imap"));
    assertThat(text.code()).as(text.toString()).isZero();
    assertThat(text.out()).startsWith("Imported 3 message(s) from invoices@contoso.com/Inbox into imported-imap");
    assertThat(text.err()).isEmpty();
    assertThat(emlFiles(dir.resolve("imported-imap"))).hasSize(3);

    Run json = run(withConfig("import", "graph", "--out", "imported-graph", "--json"));
    assertThat(json.code()).as(json.toString()).isZero();
    JsonNode j = json.json();
    assertThat(j.path("connection").asText()).isEqualTo("graph");
    assertThat(j.path("mailbox").asText()).isEqualTo("receipts@contoso.com");
    assertThat(j.path("imported").asInt()).isEqualTo(3);
    // the fields the README documents for --json
    for (String field : List.of("parked", "newlyParked", "retriedParked", "retriedParkedImported")) {
      assertThat(j.path(field).isInt()).as(field + " in " + j).isTrue();
      assertThat(j.path(field).asInt()).as(field).isZero();
    }
    assertThat(j.path("completed").asBoolean()).isTrue();
    assertThat(j.path("health").asText()).isEqualTo("HEALTHY");
    assertThat(emlFiles(dir.resolve("imported-graph"))).hasSize(3);

    Run again = run(withConfig("import", "graph", "--out", "imported-graph", "--json"));
    assertThat(again.code()).as(again.toString()).isZero();
    assertThat(again.json().path("imported").asInt(-1)).isZero();
    assertThat(emlFiles(dir.resolve("imported-graph"))).hasSize(3);
  }

  static List<Path> emlFiles(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.filter(p -> p.toString().endsWith(".eml")).toList();
    }
  }

  @Test
  void import_withAMissingMoveFolder_warnsOnce_underTheFolderStep() throws Exception {
    Path moving = extraConnection("moving", "imap", List.of(), "moving.postAction = move:Inbox/Imported");
    Run r = run("import", "--config", moving.toString(), "--out", "imported-moving");
    assertThat(r.code()).as(r.toString()).isEqualTo(1);
    assertThat(r.out()).startsWith("Imported 3 message(s)");
    String all = r.out() + r.err();
    assertThat(count(all, "Inbox/Imported, which does not exist")).as(r.toString()).isEqualTo(1);
    assertThat(all).contains("setup step: Mailbox folder").doesNotContain("Mailbox address");

    Run json = run("import", "--config", moving.toString(), "--out", "imported-moving-json", "--json");
    assertThat(json.code()).as(json.toString()).isEqualTo(1);
    assertThat(json.json().path("setupStep").asText()).isEqualTo("MAILBOX_FOLDER");
    assertThat(json.json().path("health").asText()).isEqualTo("DEGRADED");
    assertThat(json.err()).doesNotContain("which does not exist");
  }

  @Test
  void importFollowing_saysAMissingMoveFolderWhenItHappens_once() throws Exception {
    Path moving = extraConnection("following", "graph", List.of(), "following.postAction = move:Inbox/Imported");
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    Process p = new ProcessBuilder(java("import", "--config", moving.toString(), "--out", "imported-following",
        "--follow", "--poll-interval", "PT1S")).directory(dir.toFile()).redirectOutput(out.toFile())
        .redirectError(err.toFile()).start();
    try {
      long deadline = System.nanoTime() + BOUND.toNanos();
      while (!Files.readString(err).contains("setup step: Mailbox folder") && System.nanoTime() < deadline
          && p.isAlive()) {
        Thread.sleep(100); // polling a child process's output: no clock of ours drives it
      }
      assertThat(Files.readString(err)).as(Files.readString(out)).contains("o365mail import: receipts@contoso.com is"
          + " DEGRADED", "setup step: Mailbox folder");
    } finally {
      p.destroy();
      assertThat(p.waitFor(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
    }
    assertThat(p.exitValue()).isEqualTo(143);
    String all = Files.readString(out) + Files.readString(err);
    assertThat(count(all, "Inbox/Imported, which does not exist")).as(all).isEqualTo(1);
  }

  static int count(String text, String part) {
    int n = 0;
    for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
      n++;
    }
    return n;
  }

  @Test
  void send_overSmtpAndOverGraph_asTextAndAsJson() throws Exception {
    Run smtp = run(withConfig("send", "imap", "--to", "billing@fabrikam.com", "--subject", "Paid", "--body", "Thanks"));
    assertThat(smtp.code()).as(smtp.toString()).isZero();
    assertThat(smtp.out()).isEqualTo("Sent \"Paid\" to billing@fabrikam.com from invoices@contoso.com"
        + System.lineSeparator());
    Path attachment = Files.writeString(dir.resolve("receipt.txt"), "receipt");
    Run graph = run(withConfig("send", "graph", "--to", "billing@fabrikam.com", "--subject", "Receipt", "--attach",
        attachment.toString(), "--json"));
    assertThat(graph.code()).as(graph.toString()).isZero();
    JsonNode j = graph.json();
    assertThat(j.path("sent").asBoolean()).isTrue();
    assertThat(j.path("to").asText()).isEqualTo("billing@fabrikam.com");
    assertThat(j.path("subject").asText()).isEqualTo("Receipt");
    assertThat(j.path("attachments").asInt()).isEqualTo(1);
  }

  @Test
  void setup_asTextAndAsJson() throws Exception {
    Run text = run("setup", "--flow", "interactive", "--protocol", "imap");
    assertThat(text.code()).as(text.toString()).isZero();
    assertThat(text.out()).startsWith("Setup for interactive over imap (SINGLE_TENANT):")
        .doesNotContain("public client flows");
    List<String> titles = text.out().lines().filter(l -> l.matches("\\d+\\. .*"))
        .map(l -> l.substring(l.indexOf(' ') + 1)).toList();
    assertThat(titles).hasSizeGreaterThan(5).doesNotHaveDuplicates();
    Run json = run("setup", "--flow", "device-code", "--protocol", "smtp", "--json");
    assertThat(json.code()).as(json.toString()).isZero();
    JsonNode j = json.json();
    assertThat(j.path("flow").asText()).isEqualTo("device-code");
    assertThat(j.path("protocol").asText()).isEqualTo("smtp");
    List<String> steps = new ArrayList<>();
    j.path("steps").forEach(s -> {
      steps.add(s.path("step").asText());
      assertThat(s.path("title").asText()).isNotEmpty();
      assertThat(s.path("text").asText()).isNotEmpty();
      if (s.path("text").asText().contains("Office 365 Exchange Online")) {
        assertThat(s.path("text").asText()).doesNotContain("offline_access");
      }
    });
    assertThat(steps).contains("ALLOW_PUBLIC_CLIENT_FLOWS", "DELEGATED_PERMISSION");
    Run wrong = run("setup", "--flow", "oauth", "--protocol", "imap");
    assertThat(wrong.code()).isEqualTo(64);
    assertThat(wrong.err()).contains("flow 'oauth' is not one of");
  }

  @Test
  void login_refusesAnAppOnlyConnection_andNamesTheStepWhenEntraRefusesTheDeviceCode() throws Exception {
    Files.createDirectories(dir.resolve("tokens"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rwx------")));
    Path appOnly = extraConnection("apponly", "imap", List.of(), "apponly.tokenStore = ../tokens");
    Run refused = run("login", "--config", appOnly.toString(), "--timeout", "PT3S");
    assertThat(refused.code()).as(refused.toString()).isEqualTo(64);
    assertThat(refused.err()).contains("login is for flow device-code or interactive");

    // the sample app is a confidential client with public client flows off: a device-code sign-in reaches the
    // identity endpoint, which refuses it, and the refusal names the setup step
    Path device = extraConnection("device", "imap",
        List.of("flow", "clientSecret", "clientSecret.id", "clientSecret.expiresAt"), "device.flow = device-code",
        "device.tokenStore = ../tokens");
    Run r = run("login", "--config", device.toString(), "--timeout", "PT30S");
    assertThat(r.code()).as(r.toString()).isEqualTo(2);
    assertThat(r.err()).contains("Sign-in failed: ", "[AADSTS7000218]", "Setup step: Allow public client flows")
        .doesNotContain("Exception", "\tat ");
  }

  @Test
  void demo_runsEveryProductsJob() throws Exception {
    Run r = run("demo", "--out", "demo");
    assertThat(r.code()).as(r.toString()).isZero();
    assertThat(r.out()).contains("Done: 4 products' jobs ran");
  }
}
