package org.o365mail.expiry;

import org.o365mail.MailboxException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import java.util.concurrent.atomic.AtomicInteger;
import static org.assertj.core.api.Assertions.assertThat;
import static org.o365mail.testsupport.Secrets.secret;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CertificateCredential;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.KeyCredential;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

@Timeout(60)
@ExtendWith(LeakCheck.class)
class SecretExpiryTrackerTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;

  static final AppRegistration APP = AppRegistration.builder()
      .clientId("1b2c3d4e-0000-1111-2222-333344445555").tenant("contoso.com").build();

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
  }

  static final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;

    MutableClock(Instant start) {
      now = new AtomicReference<>(start);
    }

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }
  }

  @Test
  void walksEveryThreshold_withOneEventAndOneWarningPerChange() {
    Instant start = Instant.parse("2026-01-01T00:00:00Z");
    MutableClock clock = new MutableClock(start);
    List<String> events = new ArrayList<>();
    ClientSecret s = ClientSecret.of(secret("Abc8Q~walkthresholds_0123456789abcdefghij"))
        .withKeyId("6c1b9a4e-1234-4c2b-9a8e-0f1e2d3c4b5a").withExpiresAt(start.plus(Duration.ofDays(40)));
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(clock)
        .listener((before, now) -> events.add((before == null ? "-" : before.status()) + "->" + now.status()))
        .build().track(APP, s);
    CapturingLoggerProvider.clear();
    assertThat(tracker.check().overall()).isEqualTo(ExpiryStatus.OK);
    clock.advance(Duration.ofDays(11));
    assertThat(tracker.check().overall()).isEqualTo(ExpiryStatus.WARNING);
    clock.advance(Duration.ofDays(1));
    assertThat(tracker.check().overall()).isEqualTo(ExpiryStatus.WARNING);
    clock.advance(Duration.ofDays(22));
    CredentialStatus critical = tracker.check().credentials().get(0);
    assertThat(critical.status()).isEqualTo(ExpiryStatus.CRITICAL);
    assertThat(critical.daysLeft()).contains(6L);
    clock.advance(Duration.ofDays(6));
    assertThat(tracker.check().overall()).isEqualTo(ExpiryStatus.EXPIRED);
    assertThat(tracker.health()).isEqualTo(ExpiryStatus.EXPIRED);
    assertThat(events).containsExactly("-->OK", "OK->WARNING", "WARNING->CRITICAL", "CRITICAL->EXPIRED");
    List<String> warnings = CapturingLoggerProvider.lines().stream()
        .filter(l -> l.startsWith("WARN") && l.contains("client secret Abc...")).toList();
    assertThat(warnings).hasSize(3);
    assertThat(warnings.get(0)).contains("warning").contains("29 days left");
  }

  @Test
  void thresholdsAreConfigurable_andUnknownEndDateIsAWarningOfItsOwn() {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(clock)
        .warningThreshold(Duration.ofDays(60)).criticalThreshold(Duration.ofDays(14)).build()
        .track(APP, ClientSecret.of(secret("Xyz8Q~noenddate_0123456789abcdefghijklmnop")))
        .track(APP, ClientSecret.of(secret("Def8Q~fiftydays_0123456789abcdefghijklmnop"))
            .withExpiresAt(clock.instant().plus(Duration.ofDays(50))));
    ExpiryReport report = tracker.check();
    assertThat(report.credentials()).extracting(CredentialStatus::status)
        .containsExactly(ExpiryStatus.WARNING, ExpiryStatus.UNKNOWN);
    CredentialStatus unknown = report.credentials().get(1);
    assertThat(unknown.advice()).contains("No end date").contains("withExpiresAt");
    assertThat(unknown.source()).isEqualTo("unknown");
  }

  @Test
  void certificatesAreReadFromTheCertificate() {
    Application app = contoso.registerApp("cert app");
    KeyCredential cert = app.addCertificate("cert", Duration.ofDays(20));
    MutableClock clock = new MutableClock(m365.clock().instant());
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(clock).build()
        .track(APP, CertificateCredential.of(cert.privateKey().orElseThrow(), cert.certificate()));
    CredentialStatus status = tracker.check().credentials().get(0);
    assertThat(status.type()).isEqualTo(CredentialType.CERTIFICATE);
    assertThat(status.status()).isEqualTo(ExpiryStatus.WARNING);
    assertThat(status.source()).isEqualTo("certificate");
    assertThat(status.label()).contains(cert.thumbprint());
  }

  @Test
  void registeredSecretsAreMatchedByHint_andTheOthersListed() {
    Instant now = Instant.parse("2026-06-01T00:00:00Z");
    MutableClock clock = new MutableClock(now);
    RegisteredCredentials directory = clientId -> List.of(
        new RegisteredCredential(CredentialType.CLIENT_SECRET, "11111111-1111-1111-1111-111111111111", "old",
            Optional.of("Old"),
            now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(5))),
        new RegisteredCredential(CredentialType.CLIENT_SECRET, "22222222-2222-2222-2222-222222222222", "current",
            Optional.of("Cur"),
            now.minus(Duration.ofDays(100)), now.plus(Duration.ofDays(3))),
        new RegisteredCredential(CredentialType.CLIENT_SECRET, "33333333-3333-3333-3333-333333333333", "next",
            Optional.of("Nex"),
            now, now.plus(Duration.ofDays(365))));
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(clock).registeredCredentials(directory).build()
        .track(APP, ClientSecret.of(secret("Cur8Q~currentsecretvalue_0123456789abcdef")));
    ExpiryReport report = tracker.check();
    CredentialStatus configured = report.credentials().stream().filter(CredentialStatus::configured).findFirst().orElseThrow();
    assertThat(configured.status()).isEqualTo(ExpiryStatus.CRITICAL);
    assertThat(configured.source()).isEqualTo("app registration");
    assertThat(configured.keyId()).contains("22222222-2222-2222-2222-222222222222");
    assertThat(configured.description()).contains("current");
    assertThat(report.credentials()).filteredOn(c -> !c.configured()).extracting(CredentialStatus::status)
        .containsExactlyInAnyOrder(ExpiryStatus.EXPIRED, ExpiryStatus.OK);
    assertThat(report.credentials()).filteredOn(c -> c.status() == ExpiryStatus.EXPIRED).singleElement()
        .satisfies(c -> assertThat(c.advice()).contains("delete it there"));
    Secrets.assertClean("text report", report.toText());
    Secrets.assertClean("json report", report.toJson());
    assertThat(report.toJson()).startsWith("{\"checkedAt\":").contains("\"status\":\"CRITICAL\"");
    assertThat(org.o365mail.internal.JsonSupport.parseObject(report.toJson()))
        .containsKeys("checkedAt", "overall", "credentials");
  }

  @Test
  void registrationThatCannotBeRead_isUnknownWithTheReason_notAFailure() {
    RegisteredCredentials denied = clientId -> {
      throw new RegisteredCredentials.Unavailable("the app may not read its registration: grant Application.Read.All"
          + " or make it an owner", null);
    };
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().registeredCredentials(denied).build()
        .track(APP, ClientSecret.of(secret("Ghi8Q~deniedsecretvalue_0123456789abcdefg")));
    CredentialStatus status = tracker.check().credentials().get(0);
    assertThat(status.status()).isEqualTo(ExpiryStatus.UNKNOWN);
    assertThat(status.advice()).contains("Application.Read.All");
  }

  @Test
  void atRunTime_anExpiredSecretIsMarkedAtOnce_andTheFailoverSaysWhichToRemove() {
    Application app = contoso.registerApp("rotating");
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    Instant now = m365.clock().instant();
    PasswordCredential old = app.addClientSecret("old", now.minus(Duration.ofDays(300)), now.plus(Duration.ofHours(1)));
    PasswordCredential fresh = app.addClientSecret("new", Duration.ofDays(365));
    secret(old.value());
    secret(fresh.value());
    AppRegistration registration = Tenants.app(m365, contoso, app);
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(m365.clock()).build();
    ClientSecret first = ClientSecret.of(old.value()).withKeyId(old.keyId()).withExpiresAt(old.endDateTime());
    ClientSecret second = ClientSecret.of(fresh.value()).withKeyId(fresh.keyId()).withExpiresAt(fresh.endDateTime());
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(registration).secret(first).secret(second)
        .clock(m365.clock()).listener(tracker.credentialListener()).build()) {
      tracker.track(strategy);
      secret(strategy.token(TokenRequest.imap()).value());
      assertThat(tracker.check().credentials()).filteredOn(CredentialStatus::inUse).singleElement()
          .satisfies(c -> assertThat(c.keyId()).contains(old.keyId()));
      // the old secret expires while the service runs
      m365.clock().advance(Duration.ofHours(2));
      try {
        strategy.invalidate(TokenRequest.imap());
        secret(strategy.token(TokenRequest.imap()).value());
        ExpiryReport report = tracker.report();
        CredentialStatus expired = report.credentials().stream().filter(c -> c.keyId().orElse("").equals(old.keyId()))
            .findFirst().orElseThrow();
        assertThat(expired.status()).isEqualTo(ExpiryStatus.EXPIRED);
        assertThat(expired.inUse()).isFalse();
        assertThat(expired.advice()).contains("delete this one");
        CredentialStatus inUse = report.credentials().stream().filter(CredentialStatus::inUse).findFirst().orElseThrow();
        assertThat(inUse.keyId()).contains(fresh.keyId());
        Secrets.assertClean("report", report.toText());
      } finally {
        m365.clock().advance(Duration.ofHours(-2));
      }
    }
  }

  @Test
  void aRegistrationReadWithTheFailingCredential_doesNotFeedBackIntoItself() {
    Application app = contoso.registerApp("reads itself");
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    Instant now = m365.clock().instant();
    PasswordCredential expired = app.addClientSecret("expired", now.minus(Duration.ofDays(300)),
        now.minus(Duration.ofDays(1)));
    secret(expired.value());
    AtomicReference<CredentialStrategy> self = new AtomicReference<>();
    AtomicInteger reads = new AtomicInteger();
    // as GraphRegisteredCredentials does when given the service's own credential: the read needs a token
    RegisteredCredentials throughTheSameCredential = clientId -> {
      reads.incrementAndGet();
      self.get().token(TokenRequest.graph());
      return List.of();
    };
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(m365.clock())
        .registeredCredentials(throughTheSameCredential).build();
    ClientSecret only = ClientSecret.of(expired.value()).withKeyId(expired.keyId());
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, app))
        .secret(only).clock(m365.clock()).listener(tracker.credentialListener()).build()) {
      self.set(strategy);
      tracker.track(strategy);
      assertThatThrownBy(() -> strategy.token(TokenRequest.imap())).isInstanceOf(MailboxException.class);
      ExpiryReport report = tracker.report();
      assertThat(report.credentials()).singleElement().satisfies(c -> {
        assertThat(c.status()).isEqualTo(ExpiryStatus.EXPIRED);
        assertThat(c.inUse()).isFalse();
      });
      assertThat(reads.get()).isBetween(1, 4);
      Secrets.assertClean("report", report.toText());
    }
  }

  @Test
  void aSecretIdPastedAsValue_isCalledOutAgainstTheRegisteredHints() {
    Application app = contoso.registerApp("pasted id");
    PasswordCredential real = app.addClientSecret("real", Duration.ofDays(100));
    secret(real.value());
    AppRegistration registration = Tenants.app(m365, contoso, app);
    RegisteredCredentials directory = clientId -> List.of(new RegisteredCredential(CredentialType.CLIENT_SECRET,
        real.keyId(), "real", Optional.of(real.hint()), real.startDateTime(), real.endDateTime()));
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().registeredCredentials(directory).build();
    ClientSecret pasted = ClientSecret.of(real.keyId());
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(registration).secret(pasted)
        .listener(tracker.credentialListener()).build()) {
      tracker.track(strategy);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> strategy.token(TokenRequest.imap()));
      CredentialStatus status = tracker.report().credentials().stream().filter(CredentialStatus::configured)
          .findFirst().orElseThrow();
      assertThat(status.status()).isEqualTo(ExpiryStatus.INVALID);
      assertThat(status.advice()).contains("The configured value is a Secret ID (a GUID)")
          .contains("(was the secret ID pasted instead of its value?)");
    }
  }

  /** Only a GUID can be a Secret ID: a value of another shape is not asked about one. */
  @Test
  void aWrongValueThatIsNoGuid_isNotAskedAboutASecretId() {
    Application app = contoso.registerApp("not a guid");
    PasswordCredential real = app.addClientSecret("real", Duration.ofDays(100));
    secret(real.value());
    RegisteredCredentials directory = clientId -> List.of(new RegisteredCredential(CredentialType.CLIENT_SECRET,
        real.keyId(), "real", Optional.of(real.hint()), real.startDateTime(), real.endDateTime()));
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().registeredCredentials(directory).build();
    ClientSecret typo = ClientSecret.of(secret("Zq9" + real.value().substring(3).hashCode() + "~typo"));
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, app))
        .secret(typo).listener(tracker.credentialListener()).build()) {
      tracker.track(strategy);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> strategy.token(TokenRequest.imap()));
      CredentialStatus status = tracker.report().credentials().stream().filter(CredentialStatus::configured)
          .findFirst().orElseThrow();
      assertThat(status.status()).isEqualTo(ExpiryStatus.INVALID);
      assertThat(status.advice())
          .contains("is not a current secret of this app").doesNotContainIgnoringCase("secret id");
    }
  }

  /** A wrong value that shares its first characters with a registered secret is INVALID, not "EXPIRED (n days left)". */
  @Test
  void aWrongValueWithARegisteredHint_isInvalid_withoutDaysLeft() {
    Application app = contoso.registerApp("wrong value");
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    PasswordCredential real = app.addClientSecret("real", Duration.ofDays(180));
    secret(real.value());
    String wrong = secret(real.value().substring(0, 3) + "not-the-value-" + real.value().substring(3).hashCode());
    RegisteredCredentials directory = clientId -> List.of(new RegisteredCredential(CredentialType.CLIENT_SECRET,
        real.keyId(), "real", Optional.of(real.hint()), real.startDateTime(), real.endDateTime()));
    SecretExpiryTracker tracker = SecretExpiryTracker.builder().clock(m365.clock()).registeredCredentials(directory)
        .build();
    try (CredentialStrategy strategy = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, app))
        .secret(ClientSecret.of(wrong)).clock(m365.clock()).listener(tracker.credentialListener()).build()) {
      tracker.track(strategy);
      assertThat(tracker.check().credentials()).filteredOn(CredentialStatus::configured).singleElement()
          .satisfies(c -> assertThat(c.daysLeft()).as("matched by its hint before the sign-in").isPresent());
      assertThatThrownBy(() -> strategy.token(TokenRequest.imap())).isInstanceOf(MailboxException.class)
          .hasMessageContaining("AADSTS7000215");
      ExpiryReport report = tracker.report();
      CredentialStatus status = report.credentials().stream().filter(CredentialStatus::configured).findFirst()
          .orElseThrow();
      assertThat(status.status()).isEqualTo(ExpiryStatus.INVALID);
      assertThat(status.daysLeft()).isEmpty();
      assertThat(status.expiresAt()).isEmpty();
      assertThat(report.overall()).isEqualTo(ExpiryStatus.INVALID);
      assertThat(report.toText()).contains("INVALID").contains("does not apply").doesNotContain("EXPIRED")
          .doesNotContain("days left");
      Secrets.assertClean("report", report.toText());
    }
  }
}
