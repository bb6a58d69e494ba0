package org.o365mail.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.MessageHandler;
import org.o365mail.testkit.Application;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The auto-configuration in real application contexts, against the local tenant. */
@Timeout(60)
class O365MailAutoConfigurationTest {
  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(O365MailAutoConfiguration.class,
          O365MailHealthAutoConfiguration.class, O365MailHealthContributorAutoConfiguration.class));

  @Test
  void connectionProperties_makeACredentialAndAConnectorBean_qualifiedByTheConnectionName() {
    Application app = TestTenant.app("Beans", true);
    TestTenant.mailbox("beans@contoso.com", 0);
    runner.withPropertyValues(props(TestTenant.graphConnection("invoices", app, "beans@contoso.com")))
        .withUserConfiguration(NeedsInvoices.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context).hasBean("invoicesCredentialStrategy").hasBean("invoicesMailboxConnector");
          MailboxConnector connector = context.getBean(NeedsInvoices.class).connector;
          assertThat(connector.mailbox()).isEqualTo("beans@contoso.com");
          assertThat(context.getBean(NeedsInvoices.class).credential.registration().clientId())
              .isEqualTo(app.clientId());
          assertThat(context).hasSingleBean(ImportScheduler.class);
          // nothing imports unless an import is enabled
          assertThat(context.getBean(O365MailImporters.class).names()).isEmpty();
        });
  }

  @Test
  void applicationBeans_replaceTheStartersBeans() {
    Application app = TestTenant.app("Overrides", true);
    runner.withPropertyValues(props(TestTenant.graphConnection("invoices", app, "overrides@contoso.com")))
        .withUserConfiguration(OwnBeans.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          assertThat(context.getBean("invoicesCredentialStrategy")).isSameAs(OwnBeans.CREDENTIAL);
          assertThat(context.getBean(ImportScheduler.class)).isSameAs(OwnBeans.SCHEDULER);
        });
  }

  @Test
  void aMissingKey_failsTheStart_namingTheProperty() {
    Application app = TestTenant.app("Missing", true);
    List<String> props = TestTenant.graphConnection("invoices", app, "missing@contoso.com");
    props.removeIf(p -> p.startsWith("o365mail.connections.invoices.client-id="));
    runner.withPropertyValues(props(props))
        .run(context -> assertThat(context).hasFailed().getFailure()
            .rootCause().hasMessageContaining("o365mail.connections.invoices.client-id is required"));
  }

  @Test
  void tenantConsumers_makesARegistrationForPersonalAccountsOnly_atTheConsumersAuthority() {
    runner.withPropertyValues(props(personal("someone@outlook.com")))
        .withUserConfiguration(NeedsInvoices.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          AppRegistration registration = context.getBean(NeedsInvoices.class).credential.registration();
          assertThat(registration.authority()).endsWith("/consumers/");
          assertThat(registration.accountTypes()).isEqualTo(AccountTypes.MULTI_TENANT_AND_PERSONAL);
        });
  }

  @Test
  void tenantConsumers_withOrganizationalAccountTypes_failsTheStart_namingAccountTypes() {
    List<String> props = personal("someone@outlook.com");
    props.add("o365mail.connections.invoices.account-types=multi-tenant");
    runner.withPropertyValues(props(props))
        .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("o365mail.connections.invoices.account-types is MULTI_TENANT")
            .hasMessageContaining("MULTI_TENANT_AND_PERSONAL"));
  }

  @Test
  void tenantConsumers_inANationalCloud_failsTheStart_namingTheCloud() {
    List<String> props = personal("someone@outlook.com");
    props.add("o365mail.connections.invoices.cloud=us-government");
    runner.withPropertyValues(props(props))
        .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("o365mail.connections.invoices.cloud is US_GOVERNMENT"));
  }

  @Test
  void tenantConsumers_withAnAppOnlyFlow_failsTheStart_namingTheFlow() {
    List<String> props = personal("someone@outlook.com");
    props.removeIf(p -> p.startsWith("o365mail.connections.invoices.flow="));
    props.add("o365mail.connections.invoices.flow=client-secret");
    props.add("o365mail.connections.invoices.client-secret=not-a-real-secret");
    runner.withPropertyValues(props(props))
        .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("o365mail.connections.invoices.flow is client-secret")
            .hasMessageNotContaining("not-a-real-secret"));
  }

  /** A delegated Graph connection of a personal Microsoft account, {@code tenant: consumers}. */
  private static List<String> personal(String mailbox) {
    String p = "o365mail.connections.invoices.";
    return new ArrayList<>(List.of(
        p + "client-id=" + UUID.randomUUID(),
        p + "tenant=consumers",
        p + "flow=device-code",
        p + "protocol=graph",
        p + "mailbox=" + mailbox,
        p + "authority-host=" + TestTenant.M365.authorityHost(),
        p + "graph-base-url=" + TestTenant.M365.graphBaseUrl(),
        p + "trust-store=" + TestTenant.TRUST_STORE,
        p + "trust-store-password=changeit"));
  }

  @Test
  void anEnabledImportWithoutCheckpoints_failsTheStart_namingTheProperty() {
    Application app = TestTenant.app("NoCheckpoints", true);
    runner.withPropertyValues(props(TestTenant.graphConnection("invoices", app, "nocp@contoso.com")))
        .withPropertyValues("o365mail.import.invoices.enabled=true")
        .withUserConfiguration(Handler.class)
        .run(context -> assertThat(context).hasFailed().getFailure()
            .rootCause().hasMessageContaining("o365mail.checkpoint-directory is required"));
  }

  @Test
  void anAppWithoutConsent_isDown_withTheSetupStepAndFixInTheDetails(@TempDir Path checkpoints) {
    Application app = TestTenant.app("NoConsent", false);
    TestTenant.mailbox("noconsent@contoso.com", 1);
    runner.withPropertyValues(props(TestTenant.graphConnection("invoices", app, "noconsent@contoso.com")))
        .withPropertyValues("o365mail.import.invoices.enabled=true",
            "o365mail.checkpoint-directory=" + checkpoints)
        .withUserConfiguration(Handler.class)
        .run(context -> {
          assertThat(context).hasNotFailed();
          O365MailImporters importers = context.getBean(O365MailImporters.class);
          importers.start(); // the runner refreshes but does not start lifecycle beans of a plain context
          Object composite = context.getBean("o365mailHealthContributor");
          TestTenant.Reading reading = TestTenant.health(composite, "invoices");
          long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
          while (!reading.status().equals("DOWN") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            reading = TestTenant.health(composite, "invoices");
          }
          assertThat(reading.status()).isEqualTo("DOWN");
          assertThat(reading.details()).containsEntry("mailbox", "noconsent@contoso.com")
              .containsEntry("state", "CONSENT_REQUIRED")
              .containsKeys("setupStep", "where", "serviceCode", "summary", "fix");
          assertThat(context.getBean(Handler.class).received).isEmpty();
        });
  }

  static String[] props(List<String> props) {
    return props.toArray(String[]::new);
  }

  /** Injects the connection's beans by its name. */
  static class NeedsInvoices {
    final MailboxConnector connector;
    final CredentialStrategy credential;

    NeedsInvoices(@Qualifier("invoices") MailboxConnector connector,
        @Qualifier("invoices") CredentialStrategy credential) {
      this.connector = connector;
      this.credential = credential;
    }
  }

  /** The application's own credential (same name) and scheduler. */
  @Configuration(proxyBeanMethods = false)
  static class OwnBeans {
    static final ImportScheduler SCHEDULER = ImportScheduler.create(1);
    static final CredentialStrategy CREDENTIAL = CredentialStrategy.clientCredentials(
        AppRegistration.builder().clientId("11111111-2222-3333-4444-555555555555")
            .tenant("contoso.com").build()).secret(org.o365mail.auth.ClientSecret.of("own-secret-value")).build();

    @Bean
    CredentialStrategy invoicesCredentialStrategy() {
      return CREDENTIAL;
    }

    @Bean
    ImportScheduler scheduler() {
      return SCHEDULER;
    }
  }

  /** The application's handler: keeps the subjects. */
  static class Handler implements MessageHandler {
    final List<String> received = new CopyOnWriteArrayList<>();

    @Override
    public void handle(org.o365mail.importer.IncomingMessage message) {
      received.add(message.summary().subject());
    }
  }
}
