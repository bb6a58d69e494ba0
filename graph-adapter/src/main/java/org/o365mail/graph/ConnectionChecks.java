package org.o365mail.graph;

import java.time.Duration;
import java.util.Optional;
import java.util.TreeSet;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.MailboxException;
import org.o365mail.OutgoingMessage;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenClaims;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors.Target;
import org.o365mail.graph.internal.GraphTransport;
import org.o365mail.graph.internal.Sender;

/**
 * The connector's checks: of the mailbox (a token, then the Inbox's count) and of the send path (a token fit for
 * sending, and optionally a test message). Each returns a {@link ConnectionCheck}, never throws for what it checks.
 * Thread-safe.
 */
final class ConnectionChecks {
  private final GraphSession session;
  private final CredentialStrategy credential;
  private final Sender sender;

  ConnectionChecks(GraphSession session, CredentialStrategy credential, Sender sender) {
    this.session = session;
    this.credential = credential;
    this.sender = sender;
  }

  ConnectionCheck mailbox() {
    long start = System.nanoTime();
    String mailbox = session.mailbox();
    GraphTransport transport = session.transport();
    try {
      transport.auth().bearer(transport.baseUrl(), Access.READ);
      com.microsoft.graph.models.MailFolder inbox = session.graph().users().byUserId(mailbox).mailFolders()
          .byMailFolderId("inbox").get(rc -> {
            rc.queryParameters.select = new String[] {"id", "totalItemCount"};
            rc.options.add(GraphCall.READ);
            rc.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
          });
      int total = inbox.getTotalItemCount() == null ? 0 : inbox.getTotalItemCount();
      return ConnectionCheck.ok("Inbox of " + mailbox + " over Microsoft Graph: " + total + " messages",
          elapsed(start));
    } catch (RuntimeException e) {
      MailboxException m = session.errors().map(e, Target.MAILBOX, "checking the connection to " + mailbox,
          Access.READ);
      return ConnectionCheck.failed(diagnosis(m), elapsed(start));
    }
  }

  ConnectionCheck sending(Optional<String> testRecipient) {
    long start = System.nanoTime();
    String mailbox = session.mailbox();
    GraphTransport transport = session.transport();
    try {
      // the token for sending, pre-flighted against what sending needs (the bearer is never kept or shown)
      transport.auth().bearer(transport.baseUrl(), Access.SEND);
    } catch (MailboxException m) {
      Diagnosis d = diagnosis(m);
      if (d.setupStep() == SetupStep.ADMIN_CONSENT && d.alternatives().isEmpty()
          && credential.kind() != CredentialKind.APP_ONLY) {
        // Entra ID answers AADSTS65001 alike for a permission not consented and one not added to the registration
        // (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes)
        String send = transport.auth().scopesOf(Access.SEND);
        d = d.toBuilder().alternative(Diagnosis.builder(SetupStep.DELEGATED_PERMISSION, d.serviceCode())
            .summary("The send permission may not be added to the app registration at all (" + send + ")")
            .fix("App registration > API permissions > Add a permission > Microsoft Graph > Delegated permissions >"
                + " Mail.Send, then Grant admin consent").build()).build();
      }
      return ConnectionCheck.failed(d, elapsed(start));
    }
    String scopes = transport.auth().currentToken(Access.SEND).flatMap(ConnectionChecks::claims)
        .map(c -> credential.kind() == CredentialKind.APP_ONLY
            ? "roles " + new TreeSet<>(c.roles()) : "scopes " + new TreeSet<>(c.scopes())).orElse("a token");
    if (testRecipient.isEmpty()) {
      return ConnectionCheck.ok("Sending as " + mailbox + " over Microsoft Graph: " + scopes + " fit sending; no test"
          + " message sent", elapsed(start));
    }
    try {
      sender.send(OutgoingMessage.builder().to(testRecipient.get())
          .subject("o365mail connection check")
          .text("A test message from the o365mail connection check of " + mailbox + ". No action needed.").build());
    } catch (MailboxException m) {
      return ConnectionCheck.failed(diagnosis(m), elapsed(start));
    }
    return ConnectionCheck.ok("Sending as " + mailbox + " over Microsoft Graph: " + scopes + " fit sending; a test"
        + " message went to " + testRecipient.get(), elapsed(start));
  }

  /** The token's claims; none for a token that is not a JWT (personal Microsoft accounts get such tokens). */
  private static Optional<TokenClaims> claims(AccessToken token) {
    try {
      return Optional.of(token.claims());
    } catch (IllegalArgumentException notAJwt) {
      return Optional.empty();
    }
  }

  /** The failure's diagnosis, or one that names its type and points at its cause. */
  private static Diagnosis diagnosis(MailboxException m) {
    return m.diagnosis().orElseGet(() -> Diagnosis.builder(SetupStep.UNKNOWN, m.getClass().getSimpleName())
        .summary(m.getMessage()).fix("See the exception's cause").build());
  }

  private static Duration elapsed(long start) {
    return Duration.ofNanos(System.nanoTime() - start);
  }
}
