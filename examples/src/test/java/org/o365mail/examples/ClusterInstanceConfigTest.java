package org.o365mail.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A mistake in an instance's properties names its key (the program then exits with 64), before anything connects:
 * no database, tenant or file is touched.
 */
class ClusterInstanceConfigTest {
  @TempDir Path dir;

  Properties valid() throws Exception {
    Files.writeString(dir.resolve("mailboxes"), "a@contoso.com graph\nb@contoso.com imap\n");
    Files.writeString(dir.resolve("secret"), "not-a-real-secret");
    Properties p = new Properties();
    p.setProperty("owner", "instance-1");
    p.setProperty("store", "jdbc:postgresql://127.0.0.1:1/none");
    p.setProperty("store.user", "postgres");
    p.setProperty("mailboxes", dir.resolve("mailboxes").toString());
    p.setProperty("tenant", "contoso.com");
    p.setProperty("clientId", "00000000-0000-0000-0000-000000000001");
    p.setProperty("clientSecretFile", dir.resolve("secret").toString());
    p.setProperty("deliveries", dir.resolve("out").toString());
    p.setProperty("authorityHost", "https://127.0.0.1:1");
    p.setProperty("graphBaseUrl", "http://127.0.0.1:1/v1.0");
    return p;
  }

  @Test
  void missingOrMalformedProperties_areNamed() throws Exception {
    for (String key : new String[] {"owner", "store", "mailboxes", "deliveries"}) {
      Properties p = valid();
      p.remove(key);
      p.setProperty("store", key.equals("store") ? "" : "file:" + dir.resolve("cp"));
      assertThatThrownBy(() -> ClusterInstance.start(p, UnaryOperator.identity()).close())
          .isInstanceOf(ClusterInstance.ConfigMistake.class).hasMessageContaining(key + ":");
    }
    for (String[] bad : new String[][] {{"leaseTtl", "soon"}, {"pollInterval", "-1"}, {"threads", "0"},
        {"store", "mysql://db"}}) {
      Properties p = valid();
      p.setProperty(bad[0], bad[1]);
      assertThatThrownBy(() -> ClusterInstance.start(p, UnaryOperator.identity()).close())
          .as(bad[0]).isInstanceOf(ClusterInstance.ConfigMistake.class).hasMessageContaining(bad[0] + ":");
    }
    Properties p = valid();
    Files.writeString(dir.resolve("mailboxes"), "a@contoso.com pop3\n");
    assertThatThrownBy(() -> ClusterInstance.start(p, UnaryOperator.identity()).close())
        .isInstanceOf(ClusterInstance.ConfigMistake.class).hasMessageContaining("mailboxes:")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-a-real-secret"));
  }
}
