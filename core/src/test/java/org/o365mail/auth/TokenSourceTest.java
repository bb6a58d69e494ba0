package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.microsoft.aad.msal4j.MsalServiceException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;

/** {@link CredentialStrategy#tokenSource}: the SDK's cache, single refresh, events and diagnoses over any source. */
@Timeout(30)
class TokenSourceTest {
  private static final Instant NOW = Instant.parse("2026-05-01T10:00:00Z");
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  private static final AppRegistration APP = AppRegistration.builder()
      .clientId("1b2c3d4e-0000-1111-2222-333344445555").tenant("9f8e7d6c-aaaa-bbbb-cccc-ddddeeeeffff").build();

  @Test
  void tokens_areCached_andTheSourceGetsTheResourceScopes() {
    List<List<String>> asked = new CopyOnWriteArrayList<>();
    TokenSource source = scopes -> {
      asked.add(scopes);
      return new AccessToken("t" + asked.size(), NOW.plus(Duration.ofHours(1)));
    };
    try (CredentialStrategy s = CredentialStrategy.tokenSource(APP, CredentialKind.APP_ONLY, source).clock(CLOCK)
        .build()) {
      AccessToken first = s.token(TokenRequest.imap());
      assertThat(s.token(TokenRequest.imap())).isSameAs(first);
      assertThat(asked).containsExactly(List.of("https://outlook.office365.com/.default"));
      assertThat(s.kind()).isEqualTo(CredentialKind.APP_ONLY);
      assertThat(s.registration()).isEqualTo(APP);
      assertThat(s.appCredentials()).isEmpty();
    }
  }

  @Test
  void delegatedSources_areNeverAskedForOfflineAccess() {
    List<List<String>> asked = new CopyOnWriteArrayList<>();
    try (CredentialStrategy s = CredentialStrategy.tokenSource(APP, CredentialKind.DELEGATED, scopes -> {
      asked.add(scopes);
      return new AccessToken("t", NOW.plus(Duration.ofHours(1)));
    }).clock(CLOCK).build()) {
      s.token(TokenRequest.graph("Mail.Read"));
      assertThat(asked).hasSize(1);
      assertThat(asked.get(0)).isNotEmpty().doesNotContain("offline_access")
          .allSatisfy(scope -> assertThat(scope).startsWith("https://graph.microsoft.com/"));
    }
  }

  @Test
  void concurrentCallers_shareOneFetch() throws Exception {
    int threads = 16;
    AtomicInteger fetches = new AtomicInteger();
    CountDownLatch allAsking = new CountDownLatch(threads);
    TokenSource slow = scopes -> {
      fetches.incrementAndGet();
      try {
        // hold the fetch until every caller is waiting for it
        allAsking.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new AccessToken("shared", NOW.plus(Duration.ofHours(1)));
    };
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (CredentialStrategy s = CredentialStrategy.tokenSource(APP, CredentialKind.APP_ONLY, slow).clock(CLOCK)
        .build()) {
      List<Future<AccessToken>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          allAsking.countDown();
          return s.token(TokenRequest.graph());
        }));
      }
      for (Future<AccessToken> f : results) {
        assertThat(f.get(20, TimeUnit.SECONDS).value()).isEqualTo("shared");
      }
      assertThat(fetches).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void listenersHearAcquisitionsAndFailures_underTheLabel() {
    List<String> events = new CopyOnWriteArrayList<>();
    CredentialListener listener = new CredentialListener() {
      @Override
      public void tokenAcquired(TokenRequest request, Instant expiresAt, String credential) {
        events.add("acquired " + credential + " " + expiresAt);
      }

      @Override
      public void acquisitionFailed(TokenRequest request, MailboxException failure, String credential) {
        events.add("failed " + credential + ": " + failure.getMessage());
      }
    };
    AtomicInteger calls = new AtomicInteger();
    try (CredentialStrategy s = CredentialStrategy.tokenSource(APP, CredentialKind.APP_ONLY, scopes -> {
      if (calls.incrementAndGet() == 1) {
        return new AccessToken("ok", NOW.plus(Duration.ofHours(1)));
      }
      throw new MailboxException("the identity endpoint is gone");
    }).label("managed identity").listener(listener).clock(CLOCK).maxAttempts(1).build()) {
      s.token(TokenRequest.imap());
      assertThatThrownBy(() -> s.token(TokenRequest.graph())).isInstanceOf(MailboxException.class)
          .hasMessage("the identity endpoint is gone");
    }
    assertThat(events).containsExactly("acquired managed identity " + NOW.plus(Duration.ofHours(1)),
        "failed managed identity: the identity endpoint is gone");
  }

  @Test
  void anEntraRefusalInTheCauseChain_isDiagnosedLikeTheSdksOwnSignIns() {
    try (CredentialStrategy s = CredentialStrategy.tokenSource(APP, CredentialKind.APP_ONLY, scopes -> {
      throw new IllegalStateException("wrapped", new MsalServiceException(
          "AADSTS7000215: Invalid client secret provided.", "invalid_client"));
    }).clock(CLOCK).maxAttempts(1).build()) {
      assertThatThrownBy(() -> s.token(TokenRequest.imap()))
          .isInstanceOfSatisfying(MailboxAuthenticationException.class, e -> {
            assertThat(e.serviceErrorCode()).contains("AADSTS7000215");
            assertThat(e.diagnosis().orElseThrow().setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
          });
    }
  }

  @Test
  void aSourceReturningNothing_failsNamingTheSource_andTheBuilderChecksItsArguments() {
    try (CredentialStrategy s = CredentialStrategy.tokenSource(APP, CredentialKind.APP_ONLY, scopes -> null)
        .clock(CLOCK).maxAttempts(1).build()) {
      assertThatThrownBy(() -> s.token(TokenRequest.imap())).isInstanceOf(MailboxException.class)
          .hasMessage("the token source returned no token");
    }
    assertThatThrownBy(() -> CredentialStrategy.tokenSource(APP, null, scopes -> null))
        .isInstanceOf(NullPointerException.class).hasMessage("kind");
    assertThatThrownBy(() -> CredentialStrategy.tokenSource(APP, CredentialKind.APP_ONLY, null))
        .isInstanceOf(NullPointerException.class).hasMessage("source");
    assertThatThrownBy(() -> CredentialStrategy.tokenSource(APP, CredentialKind.APP_ONLY, scopes -> null).label(" "))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("label");
  }
}
