package org.o365mail.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.importer.IncomingMessage;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.importer.MessageHandler;
import org.o365mail.micrometer.O365MailMetrics;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.TestMessages;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A Spring Boot application with the starter and a handler bean imports a Graph mailbox of the local tenant: the
 * messages reach the handler and the meters, the mailbox's health is UP, and the shutdown lets the message in hand finish.
 */
@SpringBootTest(classes = SpringBootImportTest.App.class)
@DirtiesContext
@Timeout(60)
class SpringBootImportTest {
  static final Application APP = TestTenant.app("SpringBootImport", true);
  static final Mailbox BOX = TestTenant.mailbox("springboot@contoso.com", 3);

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    for (String p : TestTenant.graphConnection("invoices", APP, BOX.address())) {
      int eq = p.indexOf('=');
      registry.add(p.substring(0, eq), () -> p.substring(eq + 1));
    }
    registry.add("o365mail.import.invoices.enabled", () -> "true");
    registry.add("o365mail.import.invoices.poll-interval", () -> "200ms");
    registry.add("o365mail.checkpoint-directory", SpringBootImportTest::checkpoints);
  }

  private static String checkpoints() {
    try {
      return Files.createTempDirectory("o365mail-checkpoints").toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Autowired ConfigurableApplicationContext context;
  @Autowired Handler handler;
  @Autowired O365MailImporters importers;
  @Autowired SimpleMeterRegistry registry;

  @Test
  void theHandlerBeanGetsTheMailboxsMessages_healthIsUp_andShutdownFinishesTheMessageInHand() throws Exception {
    await(() -> handler.completed.size() >= 3);
    assertThat(handler.completed).containsExactlyInAnyOrder("Invoice 0", "Invoice 1", "Invoice 2");
    TestTenant.Reading up = TestTenant.health(context.getBean("o365mailHealthContributor"), "invoices");
    assertThat(up.status()).isEqualTo("UP");
    assertThat(up.details()).containsEntry("mailbox", BOX.address()).containsEntry("state", "HEALTHY");
    // the metrics binder's listener was given to the importer by the starter's customizer
    await(() -> imported() >= 3);
    assertThat(imported()).isEqualTo(3);
    assertThat(registry.find("o365mail.token.requests").tag("outcome", "success").counters())
        .as("the credential's token requests, counted through the binder's credential listener")
        .isNotEmpty();

    BOX.deliver(TestMessages.text("sender@fabrikam.com", BOX.address(), "Slow", "held by the handler"));
    assertThat(handler.entered.await(30, TimeUnit.SECONDS)).as("the handler got the slow message").isTrue();
    // what a shutdown does first: stop the lifecycle beans (the context itself stays for the test framework)
    Thread closer = new Thread(context::stop, "closer");
    closer.start();
    handler.release.countDown();
    closer.join(Duration.ofSeconds(30).toMillis());

    assertThat(closer.isAlive()).isFalse();
    assertThat(handler.completed).contains("Slow");
    assertThat(handler.cutOff).as("the context closed before the handler finished its message").isFalse();
    assertThat(importers.health("invoices").health()).isEqualTo(MailboxHealth.STOPPED);
  }

  private double imported() {
    return registry.find("o365mail.import.messages").counters().stream().mapToDouble(Counter::count).sum();
  }

  private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  /** The application: the starter's auto-configuration and a handler bean. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    Handler handler() {
      return new Handler();
    }

    @Bean
    SimpleMeterRegistry registry() {
      return new SimpleMeterRegistry();
    }

    /** What Boot's actuator does with every MeterBinder bean (the actuator is not on this test's class path). */
    @Bean
    O365MailMetrics o365mailMetrics(SimpleMeterRegistry registry) {
      O365MailMetrics metrics = O365MailMetrics.create();
      metrics.bindTo(registry);
      return metrics;
    }
  }

  /** Keeps the subjects; holds the message "Slow" until released. */
  static class Handler implements MessageHandler {
    final List<String> completed = new CopyOnWriteArrayList<>();
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    volatile boolean cutOff;

    @Override
    public void handle(IncomingMessage message) throws Exception {
      String subject = message.summary().subject();
      if (subject.equals("Slow")) {
        entered.countDown();
        if (!release.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("not released");
        }
      }
      completed.add(subject);
    }
  }

}
