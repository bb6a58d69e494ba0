package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.o365mail.testsupport.Secrets.secret;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;

@Timeout(60)
@ExtendWith(LeakCheck.class)
class TokenLifecycleTest {
  static final String PASSWORD = secret("Lifecycle-Pw1!");

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;
  static PasswordCredential secret;
  static Application publicApp;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    daemon = contoso.registerApp("daemon");
    secret = daemon.addClientSecret("s", Duration.ofDays(30));
    secret(secret.value());
    daemon.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    publicApp = contoso.registerApp("public").allowPublicClientFlows(true);
    publicApp.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "User.Read", "Mail.ReadWrite").grantAdminConsent();
    contoso.addUser("alice@contoso.com", PASSWORD);
  }

  /** A clock the test moves by hand. */
  static final class MutableClock extends Clock {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());

    void advance(Duration d) {
      now.updateAndGet(i -> i.plus(d));
    }

    @Override
    public Instant instant() {
      return now.get();
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  @Test
  void singleFlight_64ThreadsOnAnExpiringTokenCauseExactlyOneTokenRequest() throws Exception {
    MutableClock clock = new MutableClock();
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(secret.value())).clock(clock).build()) {
      AccessToken first = s.token(TokenRequest.imap());
      secret(first.value());
      // 4 minutes before expiry: inside the 5-minute refresh margin
      clock.advance(Duration.between(clock.instant(), first.expiresAt()).minus(Duration.ofMinutes(4)));
      long before = m365.tokenRequestCount();
      CountDownLatch go = new CountDownLatch(1);
      List<Future<AccessToken>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(pool.submit(() -> {
          go.await();
          return s.token(TokenRequest.imap());
        }));
      }
      go.countDown();
      Set<String> values = new HashSet<>();
      for (Future<AccessToken> f : results) {
        values.add(secret(f.get(30, TimeUnit.SECONDS).value()));
      }
      assertThat(m365.tokenRequestCount() - before).as("token requests counted at the testkit").isEqualTo(1);
      assertThat(values).hasSize(1).doesNotContain(first.value());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void shortLivedTokens_areRenewedHalfWayThrough() {
    m365.faults().accessTokenLifetime(Duration.ofSeconds(20));
    MutableClock clock = new MutableClock();
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(secret.value())).clock(clock).build()) {
      AccessToken first = s.token(TokenRequest.imap());
      secret(first.value());
      clock.advance(Duration.ofSeconds(9));
      assertThat(s.token(TokenRequest.imap())).isSameAs(first);
      clock.advance(Duration.ofSeconds(2));
      AccessToken second = s.token(TokenRequest.imap());
      secret(second.value());
      assertThat(second).isNotSameAs(first);
    } finally {
      m365.faults().accessTokenLifetime(Duration.ofMinutes(60));
    }
  }

  @Test
  void failedRefresh_servesTheStillValidToken_thenRecovers() {
    MutableClock clock = new MutableClock();
    try (CredentialStrategy s = CredentialStrategy.clientCredentials(Tenants.app(m365, contoso, daemon))
        .secret(ClientSecret.of(secret.value())).clock(clock).maxAttempts(1).build()) {
      AccessToken first = s.token(TokenRequest.imap());
      secret(first.value());
      clock.advance(Duration.between(clock.instant(), first.expiresAt()).minus(Duration.ofMinutes(3)));
      m365.faults().tokenEndpointUnavailableRate(1.0);
      assertThat(s.token(TokenRequest.imap())).isSameAs(first);
      m365.faults().tokenEndpointUnavailableRate(0);
      clock.advance(Duration.ofSeconds(31));
      AccessToken renewed = s.token(TokenRequest.imap());
      secret(renewed.value());
      assertThat(renewed).isNotSameAs(first);
      clock.advance(Duration.between(clock.instant(), renewed.expiresAt()).plusSeconds(1));
      m365.faults().tokenEndpointUnavailableRate(1.0);
      assertThatThrownBy(() -> s.token(TokenRequest.imap())).isInstanceOf(org.o365mail.MailboxException.class);
    } finally {
      m365.faults().tokenEndpointUnavailableRate(0);
    }
  }

  @Test
  void restart_aDelegatedStrategyOnTheSameFileStoreNeedsNoUser(@TempDir Path dir) throws IOException {
    byte[] key = new byte[32];
    new java.security.SecureRandom().nextBytes(key);
    AppRegistration app = Tenants.app(m365, contoso, publicApp);
    try (CredentialStrategy first = CredentialStrategy.usernamePassword(app, "alice@contoso.com", PASSWORD.toCharArray())
        .tokenStore(FileTokenStore.builder(dir).encryptionKey(key).build()).build()) {
      secret(first.token(TokenRequest.graph("Mail.ReadWrite")).value());
    }
    try (var files = Files.list(dir)) {
      Path stored = files.filter(p -> p.toString().endsWith(".enc")).findFirst().orElseThrow();
      String raw = new String(Files.readAllBytes(stored), StandardCharsets.ISO_8859_1);
      assertThat(raw).doesNotContain("RefreshToken").doesNotContain("alice@contoso.com");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stored))).isEqualTo("rw-------");
    }
    // the "restarted" process knows the user but not the password: only the stored refresh token can work
    DeviceCodeCredential restarted = CredentialStrategy.deviceCode(app)
        .tokenStore(FileTokenStore.builder(dir).encryptionKey(key).build()).build();
    assertThat(restarted.isSignedIn()).as("device code strategy sees no sign-in under its own key").isFalse();
    restarted.close();
    long passwordGrants = m365.count(r -> r.attribute("grant_type").equals("password"));
    try (CredentialStrategy second = CredentialStrategy.usernamePassword(app, "alice@contoso.com", "not-the-password".toCharArray())
        .tokenStore(FileTokenStore.builder(dir).encryptionKey(key).build()).build()) {
      AccessToken token = second.token(TokenRequest.graph("Mail.ReadWrite"));
      secret(token.value());
      assertThat(token.claims().userPrincipalName()).contains("alice@contoso.com");
    }
    assertThat(m365.count(r -> r.attribute("grant_type").equals("password"))).isEqualTo(passwordGrants);
  }
}
