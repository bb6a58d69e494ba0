package org.o365mail.imap.internal;

import static org.o365mail.ServiceText.printable;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.eclipse.angus.mail.iap.ConnectionException;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.SetupStep;
import org.o365mail.ThrottledException;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logging in for a {@link MailboxSession}: a token from the credential strategy and its pre-flight, the mailbox's
 * throttling governor waited out (within the throttle budget), XOAUTH2, and what to do when that fails: one more
 * try with a new token after a refusal, a new connection after a transport failure (up to the attempts allowed,
 * pausing between them), the refusal diagnosed with what the app's other logins say. Thread-safe; the session calls
 * it holding its lock.
 */
final class SessionLogin {
  // logged as the session: a login is a step of its operations, and users filter logs by that name
  private static final Logger logger = LoggerFactory.getLogger(MailboxSession.class);
  private static final TokenRequest IMAP = TokenRequest.imap();

  private final MailboxSession.Settings settings;
  private final String label;
  private final MailboxGovernor governor;
  private final Sleeper sleeper;

  SessionLogin(MailboxSession.Settings settings, String label) {
    this.settings = settings;
    this.label = label;
    this.governor = settings.governor();
    this.sleeper = settings.sleeper();
  }

  ImapConnection login(long budgetEnd) {
    boolean retriedRefused = false;
    boolean refreshedEarly = false;
    int transportFailures = 0;
    String throttleText = null;
    while (true) {
      awaitGovernor(budgetEnd, throttleText);
      AccessToken token = settings.credential().token(IMAP);
      TokenPreflight.verify(token, TokenPreflight.Requirement.imap(), settings.credential().registration());
      Optional<TokenClaims> claims = Claims.of(token);
      Instant now = settings.clock().instant();
      Instant expiresAt = claims.flatMap(TokenClaims::expiresAt).orElse(token.expiresAt());
      Instant issuedAt = claims.flatMap(TokenClaims::issuedAt).orElse(now);
      Duration margin = settings.reauthMargin();
      Duration quarter = Duration.between(issuedAt, expiresAt).dividedBy(4);
      if (!quarter.isNegative() && quarter.compareTo(margin) < 0) {
        margin = quarter;
      }
      Instant reauthAt = expiresAt.minus(margin);
      if (!now.isBefore(reauthAt) && !refreshedEarly) {
        refreshedEarly = true;
        settings.credential().invalidate(IMAP);
        continue;
      }
      long start = System.nanoTime();
      try {
        ImapConnection c = ImapConnection.open(settings.endpoint(), settings.mailbox(), token, expiresAt, reauthAt);
        if (settings.credential().kind() == CredentialKind.APP_ONLY && claims.isPresent()) {
          settings.logins().succeeded(claims.get().tenantId(), settings.credential().registration().clientId(),
              claims.get().objectId(), settings.mailbox());
        }
        if (settings.endpoint().security() == ImapEndpoint.Security.PLAINTEXT) {
          logger.warn("imap {}: logged in WITHOUT TLS at {} (insecurePlaintextForTestsOnly): the token crossed the"
              + " network in clear text", label, settings.endpoint());
        }
        logger.debug("imap {}: logged in at {} ({} ms); token valid until {}, new login due at {}", label,
            settings.endpoint(), (System.nanoTime() - start) / 1_000_000, expiresAt, reauthAt);
        return c;
      } catch (ImapConnection.UnsafeServerException e) {
        Diagnosis d = ExchangeDiagnoses.unsafeServer(settings.endpoint(), e.getMessage());
        throw new MailboxException(d.describe(), d, e);
      } catch (ProtocolException e) {
        String text = ImapConnection.serverText(e);
        if (MailboxSession.isThrottled(text)) {
          throttleText = MailboxSession.answer(e, text);
          governor.block(settings.mailbox(), MailboxSession.backoff(text));
          logger.debug("imap {}: login throttled; backing off {} ms", label, MailboxSession.backoff(text).toMillis());
          if (sleeper.nanoTime() - budgetEnd >= 0) {
            Diagnosis d = ExchangeDiagnoses.throttled(identity(claims), throttleText, MailboxSession.backoff(text));
            throw new ThrottledException(d.describe(), MailboxSession.backoff(text), d, e);
          }
          continue;
        }
        if (e instanceof ConnectionException) {
          transportFailures = transportFailure(e, transportFailures);
          continue;
        }
        ExchangeDiagnoses.Login login = identity(claims);
        if (!retriedRefused) {
          // a token revoked or expired by the server's clock gets one more try with a fresh one
          retriedRefused = true;
          settings.credential().invalidate(IMAP);
          // the server's text, escaped: a CR/LF or an escape sequence in it stays inside this one line
          logger.debug("imap {}: login refused ({}); trying once more with a new token", label, printable(text));
          continue;
        }
        ExchangeDiagnoses.Evidence known = claims.map(cl -> settings.logins().evidence(cl.tenantId(), login.clientId(),
            cl.objectId(), settings.mailbox()))
            .orElse(ExchangeDiagnoses.Evidence.NONE);
        Diagnosis d = ImapConnection.isNo(e) ? ExchangeDiagnoses.authenticateFailed(login, "IMAP NO " + text, known)
            : Diagnosis.builder(SetupStep.UNKNOWN, "IMAP BAD " + text)
                .summary("Exchange Online rejected the XOAUTH2 login to " + settings.mailbox() + ": " + text)
                .fix("See the server's answer").build();
        throw new MailboxAuthenticationException(d, e);
      } catch (IOException e) {
        transportFailures = transportFailure(e, transportFailures);
      }
    }
  }

  private int transportFailure(Exception e, int before) {
    Diagnosis unanswered = ExchangeDiagnoses.unanswered(settings.endpoint(), e);
    if (unanswered != null) {
      throw new MailboxException(unanswered.describe(), unanswered, e);
    }
    int failures = before + 1;
    Diagnosis d = ExchangeDiagnoses.transport(settings.endpoint(), e);
    if (!d.retryable() || failures >= settings.maxAttempts()) {
      throw new MailboxException(d.describe(), d, e);
    }
    logger.debug("imap {}: cannot connect to {} ({}); attempt {} of {}", label, settings.endpoint(),
        printable(d.serviceCode()), failures + 1, settings.maxAttempts());
    pause(Duration.ofMillis(100L * failures));
    return failures;
  }

  void awaitGovernor(long budgetEnd, String throttleText) {
    Duration wait = governor.remaining(settings.mailbox());
    if (wait.isZero()) {
      return;
    }
    if (sleeper.nanoTime() + wait.toNanos() - budgetEnd > 0) {
      String text = throttleText != null ? throttleText : "NO Request is throttled.";
      Diagnosis d = ExchangeDiagnoses.throttled(identity(Optional.empty()), text, wait);
      throw new ThrottledException(d.describe(), wait, d, null);
    }
    logger.debug("imap {}: waiting {} ms as Exchange Online asked", label, wait.toMillis());
    pause(wait);
  }

  private void pause(Duration wait) {
    try {
      sleeper.sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MailboxException("interrupted while waiting to retry IMAP", e);
    }
  }

  ExchangeDiagnoses.Login identity(Optional<TokenClaims> claims) {
    Optional<TokenClaims> known = claims;
    if (known.isEmpty()) {
      try {
        known = Claims.of(settings.credential().token(IMAP));
      } catch (MailboxException e) {
        known = Optional.empty();
      }
    }
    return new ExchangeDiagnoses.Login("IMAP", settings.mailbox(), settings.credential().kind(),
        settings.credential().registration().clientId(), known, settings.credential().username());
  }
}
