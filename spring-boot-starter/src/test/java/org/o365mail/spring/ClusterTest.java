package org.o365mail.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.testkit.Application;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * Two instances of an application with a DataSource and o365-mail-jdbc share two mailboxes through PostgreSQL leases:
 * each imports one, the other's shows UNKNOWN, and when one stops the other takes its mailbox over.
 */
@Timeout(90)
class ClusterTest {
  static EmbeddedPostgres postgres;

  static DataSource database() {
    try {
      postgres = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
      try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
        s.execute("CREATE DATABASE o365mail_spring");
      }
      return postgres.getDatabase("postgres", "o365mail_spring");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stop() throws IOException {
    if (postgres != null) {
      postgres.close();
    }
  }

  @Test
  void twoInstances_shareTheMailboxes_andOneTakesTheOthersOverWhenItStops() {
    DataSource dataSource = database();
    Application app = TestTenant.app("Cluster", true);
    TestTenant.mailbox("cluster-a@contoso.com", 1);
    TestTenant.mailbox("cluster-b@contoso.com", 1);
    List<String> props = new ArrayList<>(TestTenant.graphConnection("a", app, "cluster-a@contoso.com"));
    props.addAll(TestTenant.graphConnection("b", app, "cluster-b@contoso.com"));
    props.addAll(List.of("o365mail.import.a.enabled=true", "o365mail.import.b.enabled=true",
        "o365mail.cluster.lease-ttl=3s", "o365mail.cluster.poll-interval=200ms"));
    ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(O365MailAutoConfiguration.class,
            O365MailHealthAutoConfiguration.class, O365MailHealthContributorAutoConfiguration.class))
        .withBean(DataSource.class, () -> dataSource)
        .withUserConfiguration(O365MailAutoConfigurationTest.Handler.class)
        .withPropertyValues(props.toArray(String[]::new));

    runner.withPropertyValues("o365mail.cluster.owner=instance-1").run(one -> {
      assertThat(one).hasNotFailed();
      O365MailImporters first = one.getBean(O365MailImporters.class);
      assertThat(first.clustered()).isTrue();
      first.start();
      runner.withPropertyValues("o365mail.cluster.owner=instance-2").run(two -> {
        O365MailImporters second = two.getBean(O365MailImporters.class);
        second.start();
        await(() -> held(first) == 1 && held(second) == 1);
        assertThat(held(first)).isEqualTo(1);
        assertThat(held(second)).isEqualTo(1);
        String elsewhere = second.importer("a").isPresent() ? "b" : "a";
        assertThat(TestTenant.health(two.getBean("o365mailHealthContributor"), elsewhere).status())
            .isEqualTo("UNKNOWN");

        first.stop();
        await(() -> held(second) == 2);
        assertThat(held(second)).isEqualTo(2);
        second.stop();
      });
    });
  }

  private static int held(O365MailImporters importers) {
    return (int) importers.names().stream().filter(n -> importers.importer(n).isPresent()).count();
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }
}
