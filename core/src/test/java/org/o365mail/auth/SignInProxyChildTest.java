package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What depends on the JVM's own settings, each in a child JVM ({@link ProxyChild}): the sign-in's proxy credentials, which the JDK's client sends
 * (after the 407) only when the JVM allows Basic for tunnels, and otherwise a diagnosis that says how to allow it.
 */
@Timeout(120)
class SignInProxyChildTest {

  static String run(String mode, String... jvmOptions) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of(jvmOptions));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ProxyChild.class.getName());
    command.add(mode);
    Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] out;
    try (var in = p.getInputStream()) {
      out = in.readNBytes(1 << 20);
    }
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
    String text = new String(out, StandardCharsets.UTF_8);
    return text.lines().filter(l -> l.startsWith("TOKEN") || l.startsWith("FAILED")).findFirst().orElse(text);
  }

  @Test
  void proxyCredentialsAreSentOnlyAfterThe407_whenTheJvmAllowsBasicForTunnels() throws Exception {
    String line = run("credentials", "-Djdk.http.auth.tunneling.disabledSchemes=");
    assertThat(line).startsWith("TOKEN").contains("answers=[407, 200]").contains("authorizations=1")
        .contains("tokenInClear=false");
  }

  @Test
  void wrongProxyCredentialsAreDiagnosedAsRejected() throws Exception {
    String line = run("wrong", "-Djdk.http.auth.tunneling.disabledSchemes=");
    assertThat(line).startsWith("FAILED proxy_407 TRUST").contains("rejected the configured proxy credentials")
        .contains("HTTP proxy 127.0.0.1:").doesNotContain("not-the-pass");
  }

  @Test
  void proxyCredentialsWithTheJdksDefaultSayHowToAllowBasicForTunnels() throws Exception {
    String line = run("credentials");
    assertThat(line).startsWith("FAILED proxy_407 TRUST").contains("-Djdk.http.auth.tunneling.disabledSchemes=")
        .doesNotContain("proxy-pass-1");
  }
}
