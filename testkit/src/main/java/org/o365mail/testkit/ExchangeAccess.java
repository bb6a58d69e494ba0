package org.o365mail.testkit;

import java.util.Optional;

/**
 * How Exchange Online decides an XOAUTH2 login (IMAP or SMTP): who the token is, and whether that identity
 * may open the mailbox named in {@code user=}. Shared by the IMAP front and the SMTP server so both fail the
 * same way.
 */
final class ExchangeAccess {
  /** Outcome of a login. */
  enum Outcome {
    /** Logged in to the mailbox. */
    OK,
    /** {@code NO AUTHENTICATE failed.} / {@code 535 5.7.3}: the token or the app's Exchange setup is wrong. */
    AUTHENTICATION_FAILED,
    /**
     * The identity is valid but may not open that mailbox: IMAP answers {@code OK} to AUTHENTICATE and then
     * {@code BAD User is authenticated but not connected.}
     */
    NOT_CONNECTED
  }

  /** The decision, and for a failure the reason in plain words (for the testkit's own log and tests). */
  record Decision(Outcome outcome, String reason, Optional<Mailbox> mailbox, Optional<VerifiedToken> token) {
    static Decision fail(Outcome outcome, String reason, VerifiedToken token) {
      return new Decision(outcome, reason, Optional.empty(), Optional.ofNullable(token));
    }
  }

  private final Directory directory;
  private final TokenService tokens;

  ExchangeAccess(Directory directory, TokenService tokens) {
    this.directory = directory;
    this.tokens = tokens;
  }

  /**
   * @param mailboxAddress the {@code user=} of the XOAUTH2 message
   * @param accessToken the bearer token
   * @param appRole the application permission the protocol needs ({@code IMAP.AccessAsApp}, {@code SMTP.SendAsApp})
   * @param scope the delegated permission it needs ({@code IMAP.AccessAsUser.All}, {@code SMTP.Send})
   */
  Decision decide(String mailboxAddress, String accessToken, String appRole, String scope) {
    Optional<VerifiedToken> verified = tokens.verify(accessToken);
    if (verified.isEmpty()) {
      return Decision.fail(Outcome.AUTHENTICATION_FAILED, "not a token this tenant signed", null);
    }
    VerifiedToken token = verified.get();
    if (token.expiredAt(directory.clock().instant())) {
      return Decision.fail(Outcome.AUTHENTICATION_FAILED, "token expired at " + token.expiresAt(), token);
    }
    if (!token.isFor(ApiResource.EXCHANGE_ONLINE)) {
      return Decision.fail(
          Outcome.AUTHENTICATION_FAILED, "audience " + token.audience() + " is not Exchange Online", token);
    }
    Optional<Tenant> tenant = directory.tenant(token.tenantId());
    if (tenant.isEmpty()) {
      return Decision.fail(Outcome.AUTHENTICATION_FAILED, "unknown tenant " + token.tenantId(), token);
    }
    Optional<Mailbox> mailbox = tenant.get().findMailbox(mailboxAddress == null ? "" : mailboxAddress);
    if (token.appOnly()) {
      if (!token.roles().contains(appRole)) {
        return Decision.fail(
            Outcome.AUTHENTICATION_FAILED, "roles " + token.roles() + " lack " + appRole, token);
      }
      Optional<ExchangeServicePrincipal> principal =
          tenant.get().exchangeServicePrincipal(token.appId(), token.objectId());
      if (principal.isEmpty()) {
        return Decision.fail(
            Outcome.AUTHENTICATION_FAILED,
            "no Exchange service principal for app " + token.appId() + " with object id " + token.objectId(),
            token);
      }
      if (mailbox.isEmpty()) {
        return Decision.fail(Outcome.AUTHENTICATION_FAILED, "no mailbox " + mailboxAddress, token);
      }
      if (!mailbox.get().hasFullAccess(principal.get().objectId())) {
        return Decision.fail(
            Outcome.AUTHENTICATION_FAILED,
            "service principal " + principal.get().objectId() + " has no FullAccess on " + mailboxAddress,
            token);
      }
      return new Decision(Outcome.OK, "", mailbox, verified);
    }
    if (!token.scopes().contains(scope)) {
      return Decision.fail(Outcome.AUTHENTICATION_FAILED, "scp " + token.scopes() + " lacks " + scope, token);
    }
    Optional<User> user = tenant.get().findUserByObjectId(token.objectId());
    if (user.isEmpty() || !user.get().enabled()) {
      return Decision.fail(Outcome.AUTHENTICATION_FAILED, "user " + token.upn() + " cannot sign in", token);
    }
    if (!user.get().hasMailbox()) {
      // No licence, no mailbox: Microsoft documents no IMAP/SMTP answer for it; Exchange refuses every login it
      // cannot serve with the same "AUTHENTICATE failed." (MicrosoftDocs/office-developer-exchange-docs#87).
      return Decision.fail(Outcome.AUTHENTICATION_FAILED, "user " + token.upn() + " has no mailbox", token);
    }
    if (mailbox.isEmpty()) {
      return Decision.fail(Outcome.NOT_CONNECTED, "no mailbox " + mailboxAddress, token);
    }
    boolean own = mailbox.get().owner().map(u -> u == user.get()).orElse(false);
    if (!own && !mailbox.get().hasFullAccess(user.get().objectId())) {
      return Decision.fail(
          Outcome.NOT_CONNECTED, user.get().userPrincipalName() + " has no FullAccess on " + mailboxAddress, token);
    }
    return new Decision(Outcome.OK, "", mailbox, verified);
  }
}
