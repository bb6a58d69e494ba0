package org.o365mail.jakarta;

import static java.util.Objects.requireNonNull;

import jakarta.mail.Authenticator;
import jakarta.mail.MessagingException;
import jakarta.mail.PasswordAuthentication;
import jakarta.mail.Service;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import org.o365mail.Diagnosis;
import org.o365mail.EmailAddress;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;

/**
 * A Jakarta Mail {@link Authenticator} that answers every connect with the mailbox as the user name and an access
 * token from a {@link CredentialStrategy} as the password, which Angus Mail sends with SASL XOAUTH2 when the
 * session allows only that mechanism (as the sessions of {@link JakartaMailSessions} do).
 *
 * <p>Jakarta Mail asks an authenticator when it has no password for a connect: on each {@code Store} or {@code
 * Transport} taken anew from the session, and when a reconnect of the same object is refused with the token it used
 * before (an expired one). Each time, the token is asked of the strategy, which hands its cached token while that
 * is valid for its refresh margin (5 minutes by default) and renews it otherwise: nothing is cached here. Before
 * the token is handed out it passes {@link TokenPreflight} (Exchange Online audience, {@code IMAP.AccessAsApp} or
 * {@code IMAP.AccessAsUser.All}, {@code SMTP.SendAsApp} or {@code SMTP.Send}); a token that fails it, and a strategy
 * that cannot get one, end the connect with the SDK's unchecked {@link MailboxAuthenticationException}, whose
 * {@link MailboxAuthenticationException#diagnosis() diagnosis} names the setup step. The token never appears in
 * {@link #toString()} or in an exception message.
 *
 * <p>Immutable and thread-safe (the strategy is).
 *
 * <pre>{@code
 * Session session = Session.getInstance(properties, OAuth2Authenticator.imap(credential, "invoices@contoso.com"));
 * }</pre>
 */
public final class OAuth2Authenticator extends Authenticator {
  /** What the token is for. */
  public enum Protocol {
    /** IMAP: delegated {@code IMAP.AccessAsUser.All}, app-only {@code IMAP.AccessAsApp}, resource Exchange Online. */
    IMAP(TokenRequest.imap(), TokenPreflight.Requirement.imap()),
    /** SMTP AUTH: delegated {@code SMTP.Send}, app-only {@code SMTP.SendAsApp}, resource Exchange Online. */
    SMTP(TokenRequest.smtp(), TokenPreflight.Requirement.smtp());

    private final TokenRequest request;
    private final TokenPreflight.Requirement requirement;

    Protocol(TokenRequest request, TokenPreflight.Requirement requirement) {
      this.request = request;
      this.requirement = requirement;
    }

    /** The token request the authenticator makes for this protocol. */
    public TokenRequest tokenRequest() {
      return request;
    }

    TokenPreflight.Requirement requirement() {
      return requirement;
    }
  }

  private final CredentialStrategy credentials;
  private final String mailbox;
  private final Protocol protocol;

  private OAuth2Authenticator(CredentialStrategy credentials, String mailbox, Protocol protocol) {
    this.credentials = requireNonNull(credentials, "credentials");
    this.mailbox = EmailAddress.of(requireNonNull(mailbox, "mailbox")).address().toLowerCase(Locale.ROOT);
    this.protocol = requireNonNull(protocol, "protocol");
  }

  /** Logs in to {@code mailbox} over IMAP with tokens of {@code credentials}. */
  public static OAuth2Authenticator imap(CredentialStrategy credentials, String mailbox) {
    return new OAuth2Authenticator(credentials, mailbox, Protocol.IMAP);
  }

  /** Logs in to SMTP submission as {@code mailbox} with tokens of {@code credentials}. */
  public static OAuth2Authenticator smtp(CredentialStrategy credentials, String mailbox) {
    return new OAuth2Authenticator(credentials, mailbox, Protocol.SMTP);
  }

  /** The mailbox logged in as (XOAUTH2's {@code user=}), in lower case. */
  public String mailbox() {
    return mailbox;
  }

  /** IMAP or SMTP. */
  public Protocol protocol() {
    return protocol;
  }

  /** Where the tokens come from. */
  public CredentialStrategy credentials() {
    return credentials;
  }

  /**
   * The mailbox and a current token.
   *
   * @throws MailboxAuthenticationException when no token can be got, or the token fails the pre-flight
   */
  @Override
  protected PasswordAuthentication getPasswordAuthentication() {
    return new PasswordAuthentication(mailbox, token().value());
  }

  /**
   * Connects {@code service} (a closed {@code Store} or {@code Transport} of a session built for this mailbox) with a
   * token asked of the strategy now, never with the one Jakarta Mail kept from the object's earlier connect; the way
   * to reconnect the same object before its token expires. Returns when that token expires: Exchange ends an IMAP
   * session then, so reconnect with this method a few minutes before (the strategy hands a new token from 5 minutes
   * before expiry on, by default).
   *
   * <pre>{@code
   * Instant expires = authenticator.connect(store);
   * ...
   * if (clock.instant().isAfter(expires.minus(Duration.ofMinutes(4)))) {
   *   store.close();
   *   expires = authenticator.connect(store);
   * }
   * }</pre>
   *
   * @throws MailboxAuthenticationException when no token can be got, or the token fails the pre-flight
   * @throws MessagingException as {@code Service.connect} throws it (a refused login, the network)
   * @throws IllegalStateException when {@code service} is connected
   */
  public Instant connect(Service service) throws MessagingException {
    requireNonNull(service, "service");
    AccessToken token = token();
    service.connect(mailbox, token.value());
    return token.expiresAt();
  }

  private AccessToken token() {
    AccessToken token = credentials.token(protocol.request);
    Optional<Diagnosis> problem = TokenPreflight.check(token, protocol.requirement, credentials.registration());
    if (problem.isPresent()) {
      throw new MailboxAuthenticationException(problem.get(), null);
    }
    return token;
  }

  @Override
  public String toString() {
    return "OAuth2Authenticator[" + protocol + " " + mailbox + ", " + credentials.kind() + ", client "
        + credentials.registration().clientId() + "]";
  }
}
