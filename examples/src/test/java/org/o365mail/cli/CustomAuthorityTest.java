package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.testkit.LocalTenant;

/**
 * {@code doctor} and {@code secrets} on the testkit's own sample configuration: a token minted by a local
 * authority goes to no host but the local tenant's. Every HTTP client in the JVM (the JDK's, OkHttp under the
 * Graph SDK, MSAL's) asks the default {@link ProxySelector} where to connect before it connects, so a recording
 * selector sees every request's target.
 */
@Timeout(120)
class CustomAuthorityTest {
  LocalTenant m365;
  TestkitCommand.Sample sample;
  ProxySelector previous;
  final List<URI> targets = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start(@TempDir Path dir) throws IOException {
    m365 = LocalTenant.start();
    sample = TestkitCommand.Sample.create(m365, dir);
    previous = ProxySelector.getDefault();
    ProxySelector.setDefault(new ProxySelector() {
      @Override
      public List<Proxy> select(URI uri) {
        targets.add(uri);
        return List.of(Proxy.NO_PROXY);
      }

      @Override
      public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
        // recorded in select
      }
    });
  }

  @AfterEach
  void stop() {
    ProxySelector.setDefault(previous);
    m365.close();
  }

  String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = O365Mail.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new String[] {Integer.toString(exit), out.toString(), err.toString()};
  }

  void assertOnlyTheLocalTenantWasAsked() {
    Set<String> local = new java.util.HashSet<>(List.of(m365.hostName().toLowerCase(java.util.Locale.ROOT),
        "localhost", "127.0.0.1"));
    assertThat(targets).allSatisfy(uri -> assertThat(local).as(uri.toString()).contains(uri.getHost()));
  }

  @Test
  void doctorOnImap_withTheTestkitsAuthority_sendsNothingToMicrosoft_andSaysTheRegistrationReadWasSkipped() {
    String[] r = run("doctor", "--config", sample.config.toString(), "--connection", "imap");
    assertOnlyTheLocalTenantWasAsked();
    assertThat(r[1]).as(r[1] + r[2]).contains("PASS  token acquired")
        .contains("app registration read: app registration not read: the authority " + m365.authorityHost())
        .contains("graphBaseUrl is not set");
    assertThat(targets).as("the token request went through the recording selector").isNotEmpty();
    assertOnlyTheLocalTenantWasAsked();
  }

  @Test
  void secretsOnImap_withTheTestkitsAuthority_sendsNothingToMicrosoft_andNotesWhy() {
    String[] r = run("secrets", "--config", sample.config.toString(), "--connection", "imap");
    assertOnlyTheLocalTenantWasAsked();
    assertThat(r[1]).as(r[1] + r[2]).contains("Note: app registration not read");
    String[] json = run("secrets", "--config", sample.config.toString(), "--connection", "imap", "--json");
    assertThat(json[1].trim()).startsWith("{").endsWith("}");
    assertThat(json[2]).contains("Note: app registration not read");
    assertOnlyTheLocalTenantWasAsked();
  }

  @Test
  void doctorOnGraph_readsTheRegistrationFromTheConfiguredGraph() {
    String[] r = run("doctor", "--config", sample.config.toString(), "--connection", "graph");
    assertThat(r[1]).as(r[1] + r[2]).contains("PASS  token acquired").doesNotContain("app registration not read");
    assertOnlyTheLocalTenantWasAsked();
    int graphPort = URI.create(m365.graphBaseUrl()).getPort();
    assertThat(targets).anySatisfy(uri -> assertThat(uri.getPort()).isEqualTo(graphPort));
    assertThat(m365.requests("graph")).as("the registration was read from the configured Graph")
        .anySatisfy(req -> assertThat(req.path()).contains("/applications"));
  }
}
