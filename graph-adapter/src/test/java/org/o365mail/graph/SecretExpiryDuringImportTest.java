package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.expiry.CredentialStatus;
import org.o365mail.expiry.ExpiryReport;
import org.o365mail.expiry.ExpiryStatus;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportListener;
import org.o365mail.importer.ImportResult;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * The outage this SDK exists to prevent: the client secret in use expires while an import runs. The tenant starts
 * answering AADSTS7000222, the strategy falls over to the second configured secret, the tracker marks the first
 * EXPIRED at once and says to delete it, and the import goes on without losing or repeating a message.
 */
@Timeout(120)
@ExtendWith(LeakCheck.class)
class SecretExpiryDuringImportTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static final int MESSAGES = 120;

  @Test
  void theSecretInUseExpiresMidImport_theImportFallsOverAndLosesNothing() {
    LocalTenant m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    Mailbox inbox = contoso.addSharedMailbox("invoices@contoso.com");
    for (int i = 0; i < MESSAGES; i++) {
      inbox.deliver(TestMessages.text("billing@fabrikam.com", inbox.address(), "Invoice " + i, "Amount due: " + i));
    }
    Application app = contoso.registerApp("Invoice import");
    app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
    Instant now = m365.clock().instant();
    PasswordCredential old = app.addClientSecret("2025", now.minus(Duration.ofDays(364)), now.plus(Duration.ofMinutes(90)));
    PasswordCredential fresh = app.addClientSecret("2026", Duration.ofDays(365));
    Secrets.secret(old.value());
    Secrets.secret(fresh.value());

    SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(m365.clock()).build();
    List<String> subjects = Collections.synchronizedList(new ArrayList<>());
    List<HealthState> health = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean expired = new AtomicBoolean();
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, app))
            .secret(ClientSecret.of(old.value()).withKeyId(old.keyId()).withExpiresAt(old.endDateTime()))
            .secret(ClientSecret.of(fresh.value()).withKeyId(fresh.keyId()).withExpiresAt(fresh.endDateTime()))
            .clock(m365.clock()).listener(tracker.credentialListener()).build();
        GraphMailboxConnector connector = GraphApps.connector(m365, credential, inbox.address()).build()) {
      tracker.track(credential);
      assertThat(tracker.check().overall()).isEqualTo(ExpiryStatus.CRITICAL); // 90 minutes left
      MailImporter importer = MailImporter.builder().connector(connector).batchSize(10).secretExpiry(tracker)
          .handler(m -> {
            try (InputStream in = m.openMime()) {
              assertThat(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)).contains("Amount due");
            }
            subjects.add(m.summary().subject());
            if (subjects.size() == MESSAGES / 2 && expired.compareAndSet(false, true)) {
              // two hours later: the first secret and the token it bought have both expired
              m365.clock().advance(Duration.ofHours(2));
            }
          })
          .listener(new ImportListener() {
            @Override
            public void healthChanged(HealthState previous, HealthState current) {
              health.add(current);
            }
          })
          .build();
      ImportResult result;
      int passes = 0;
      do {
        result = importer.runOnce();
        passes++;
      } while (!result.completed() && passes < 5);
      importer.close();

      assertThat(expired).isTrue();
      assertThat(result.completed()).isTrue();
      assertThat(subjects).hasSize(MESSAGES).doesNotHaveDuplicates();
      assertThat(passes).as("the failover happens inside the pass: no pass is lost to it").isEqualTo(1);

      ExpiryReport report = tracker.report();
      CredentialStatus first = report.credentials().stream().filter(c -> c.keyId().orElse("").equals(old.keyId()))
          .findFirst().orElseThrow();
      assertThat(first.status()).isEqualTo(ExpiryStatus.EXPIRED);
      assertThat(first.inUse()).isFalse();
      assertThat(first.advice()).contains("delete this one");
      assertThat(report.credentials()).filteredOn(CredentialStatus::inUse).singleElement()
          .satisfies(c -> assertThat(c.keyId()).contains(fresh.keyId()));
      // the expired secret, no longer in use, is a thing to clean up, not an outage: the import never stopped
      assertThat(health).extracting(HealthState::health).doesNotContain(MailboxHealth.SECRET_EXPIRED,
          MailboxHealth.AUTHENTICATION_REQUIRED);
      assertThat(CapturingLoggerProvider.lines()).anyMatch(l -> l.contains("WARN") && l.contains("AADSTS7000222"));
      Secrets.assertClean("report", report.toText() + report.toJson());
    }
  }
}
