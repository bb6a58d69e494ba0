package org.o365mail.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

/**
 * Token requests, failures by setup step and failovers from a real client-credentials strategy against the local
 * tenant, and the secrets' time left from a real expiry tracker: values after a known sequence, and no secret in a
 * tag.
 */
class CredentialMetricsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential secret;

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("daemon");
    secret = daemon.addClientSecret("s", Duration.ofDays(30));
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Read").grantAdminConsent();
  }

  private static AppRegistration app() {
    return AppRegistration.builder().clientId(daemon.clientId()).tenant(contoso.id())
        .authorityHost(m365.authorityHost()).trust(m365.sslContext()).build();
  }

  private double tokenRequests(String outcome, String step) {
    return registry.get("o365mail.token.requests").tags("outcome", outcome, "setup.step", step).counters().stream()
        .mapToDouble(c -> c.count()).sum();
  }

  @Test
  void tokenRequests_failuresBySetupStep_andFailovers_areCounted_withNoSecretInATag() {
    O365MailMetrics metrics = O365MailMetrics.create();
    metrics.bindTo(registry);
    String wrongId = UUID.randomUUID().toString();
    ClientSecret wrong = ClientSecret.of("Wr0ng~" + UUID.randomUUID()).withKeyId(wrongId);
    ClientSecret right = ClientSecret.of(secret.value()).withKeyId(secret.keyId());

    // a rejected secret alone: one failure, diagnosed at the client secret step
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(wrong).maxAttempts(1)
        .listener(metrics.credentialListener()).build()) {
      assertThatThrownBy(() -> s.token(TokenRequest.imap())).isInstanceOf(MailboxAuthenticationException.class);
    }
    assertThat(tokenRequests("failure", "client_secret")).isEqualTo(1);

    // the rejected one first, then the right one: a failover and two tokens (IMAP and Graph; the second IMAP one is
    // served from the cache and not counted)
    List<String> forwarded = new ArrayList<>();
    CredentialListener next = new CredentialListener() {
      @Override
      public void tokenAcquired(TokenRequest request, Instant expiresAt, String credential) {
        forwarded.add("token " + request.resource());
      }

      @Override
      public void credentialFailover(String from, String to, MailboxException cause) {
        forwarded.add("failover");
      }
    };
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(app()).secret(wrong).secret(right)
        .listener(metrics.credentialListener(next)).build()) {
      s.token(TokenRequest.imap());
      s.token(TokenRequest.imap());
      s.token(TokenRequest.graph("Mail.Read"));
    }
    assertThat(tokenRequests("success", "none")).isEqualTo(2);
    assertThat(forwarded).containsExactly("failover", "token EXCHANGE_ONLINE", "token MICROSOFT_GRAPH");
    assertThat(registry.get("o365mail.token.requests").tags("outcome", "success", "resource", "exchange_online",
        "credential", "client_secret:" + secret.keyId().toLowerCase()).counter().count()).isEqualTo(1);
    assertThat(registry.get("o365mail.credential.failovers")
        .tags("from", "client_secret:" + wrongId, "to", "client_secret:" + secret.keyId().toLowerCase())
        .counter().count()).isEqualTo(1);

    String rightHint = secret.value().substring(0, 3);
    assertThat(registry.getMeters().stream().map(Meter::getId).flatMap(id -> id.getTags().stream())
        .map(Tag::getValue)).noneMatch(v -> v.contains("...") || v.contains(rightHint) || v.contains("Wr0ng"));
  }

  @Test
  void secretRemaining_isTheTimeLeftOnTheMetricsClock_taggedByAppAndSecretId() {
    Instant now = Instant.parse("2026-03-01T10:00:00Z");
    Clock clock = Clock.fixed(now, ZoneOffset.UTC);
    String keyId = UUID.randomUUID().toString();
    try (SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(clock).build()) {
      tracker.track(app(), ClientSecret.of("S3cret~" + UUID.randomUUID()).withKeyId(keyId)
          .withExpiresAt(now.plus(Duration.ofDays(10))));
      O365MailMetrics metrics = O365MailMetrics.builder().clock(clock).build().track(tracker);
      metrics.bindTo(registry);
      TimeGauge left = registry.get("o365mail.secret.remaining").tags("app", daemon.clientId(),
          "credential", "client_secret:" + keyId).timeGauge();
      assertThat(left.value(TimeUnit.SECONDS)).isEqualTo(Duration.ofDays(10).toSeconds());
      assertThat(left.baseTimeUnit()).isEqualTo(TimeUnit.SECONDS);

      // a certificate-less second secret found later gets its gauge when the tracker first reports it
      tracker.track(app(), ClientSecret.of("An0ther~" + UUID.randomUUID())
          .withExpiresAt(now.minus(Duration.ofDays(1))));
      tracker.check();
      assertThat(registry.get("o365mail.secret.remaining").tag("credential", "client_secret").timeGauge()
          .value(TimeUnit.SECONDS)).isEqualTo(-Duration.ofDays(1).toSeconds());
      assertThat(registry.getMeters().stream().flatMap(m -> m.getId().getTags().stream()).map(Tag::getValue))
          .noneMatch(v -> v.contains("S3c") || v.contains("An0") || v.contains("..."));
    }
  }

  @Test
  void credentialTag_keepsOnlyTheKindAndTheSecretIdOrThumbprint() {
    String id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    assertThat(List.of(
        O365MailMetrics.credentialTag("client secret abc... (" + id + ")", null),
        O365MailMetrics.credentialTag("client secret abc...", null),
        O365MailMetrics.credentialTag("client secret abc...", "not-a-guid-maybe-the-secret"),
        O365MailMetrics.credentialTag("certificate " + "AB".repeat(20), null),
        O365MailMetrics.credentialTag("certificate something else", null),
        O365MailMetrics.credentialTag("password of meg@contoso.com with client secret xyz...", null),
        O365MailMetrics.credentialTag("device-code sign-in", null),
        O365MailMetrics.credentialTag("my own token source", null)))
        .containsExactly("client_secret:" + id, "client_secret", "client_secret", "certificate:" + "ab".repeat(20),
            "certificate", "password", "device_code", "other");
  }
}
