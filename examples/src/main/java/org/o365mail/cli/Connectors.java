package org.o365mail.cli;

import java.net.URI;
import java.util.Optional;
import org.o365mail.MailboxConnector;
import org.o365mail.OutgoingMessage;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.graph.GraphRegisteredCredentials;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.imap.SmtpSender;

/** Builds the connector, the sender and the registration reader of a configured connection. */
public final class Connectors {
  private Connectors() {}

  public static MailboxConnector connector(ConnectionConfig c, CredentialStrategy credential) {
    if (c.protocol() == ConnectionConfig.Protocol.GRAPH) {
      GraphMailboxConnector.Builder b = GraphMailboxConnector.builder().mailbox(c.mailbox()).credential(credential);
      c.graphBaseUrl().ifPresent(url -> b.baseUrl(url).allowedHosts(URI.create(url).getHost()));
      Credentials.mailTrust(c).ifPresent(b::trust);
      c.graphRequestWindow().ifPresent(w -> b.requestWindow(w[0], java.time.Duration.ofSeconds(w[1])));
      return b.build();
    }
    ImapMailboxConnector.Builder b = ImapMailboxConnector.builder().mailbox(c.mailbox()).credential(credential);
    c.imapHost().ifPresent(b::host);
    c.imapPort().ifPresent(b::port);
    c.smtpHost().ifPresent(b::smtpHost);
    c.smtpPort().ifPresent(b::smtpPort);
    Credentials.mailTrust(c).ifPresent(b::trust);
    return b.build();
  }

  /** Sends through Graph {@code sendMail} or SMTP AUTH, by the connection's protocol. */
  public static void send(ConnectionConfig c, CredentialStrategy credential, OutgoingMessage message) {
    if (c.protocol() == ConnectionConfig.Protocol.GRAPH) {
      try (MailboxConnector connector = connector(c, credential)) {
        connector.send(message);
      }
      return;
    }
    SmtpSender.Builder b = SmtpSender.builder().mailbox(c.mailbox()).credential(credential);
    c.smtpHost().ifPresent(b::host);
    c.smtpPort().ifPresent(b::port);
    Credentials.mailTrust(c).ifPresent(b::trust);
    b.build().send(message);
  }

  /** The token the connector asks for, and what its claims must allow. */
  public static TokenRequest tokenRequest(ConnectionConfig c) {
    return Credentials.signInRequest(c);
  }

  public static TokenPreflight.Requirement requirement(ConnectionConfig c) {
    return c.protocol() == ConnectionConfig.Protocol.IMAP ? TokenPreflight.Requirement.imap()
        : TokenPreflight.Requirement.graphReadWrite();
  }

  /**
   * Why the app registration is not read through Graph for this connection, when it is not: its authority is not
   * the sign-in host of its cloud (a private or local tenant) and no {@code graphBaseUrl} says where its Graph is.
   * A token from such an authority is never sent to Microsoft's Graph.
   */
  public static Optional<String> registrationSkipped(ConnectionConfig c, CredentialStrategy credential) {
    if (credential.kind() != CredentialKind.APP_ONLY || c.graphBaseUrl().isPresent()) {
      return Optional.empty();
    }
    AppRegistration app = credential.registration();
    URI authority = app.authorityHost();
    URI cloudHost = app.cloud().authorityHost();
    boolean cloudsOwn = authority.getHost().equalsIgnoreCase(cloudHost.getHost())
        && port(authority) == port(cloudHost);
    if (cloudsOwn) {
      return Optional.empty();
    }
    return Optional.of("app registration not read: the authority " + authority + " is not " + cloudHost.getHost()
        + " and " + c.name() + ".graphBaseUrl is not set, so no Graph of that authority is known (set graphBaseUrl"
        + " to read it)");
  }

  private static int port(URI uri) {
    return uri.getPort() == -1 ? 443 : uri.getPort();
  }

  /**
   * Reads the app's registered secrets and certificates through Graph with the connection's own app-only
   * credential (needs Application.Read.All; without it the tracker reports UNKNOWN with the reason). Close it.
   */
  public static Optional<GraphRegisteredCredentials> registeredCredentials(ConnectionConfig c, CredentialStrategy credential) {
    if (credential.kind() != CredentialKind.APP_ONLY || registrationSkipped(c, credential).isPresent()) {
      return Optional.empty();
    }
    AppRegistration app = credential.registration();
    GraphRegisteredCredentials.Builder b = GraphRegisteredCredentials.builder().credential(credential);
    String base = c.graphBaseUrl().orElse(app.cloud().graphEndpoint() + "/v1.0");
    b.baseUrl(base).allowedHosts(URI.create(base).getHost());
    Credentials.mailTrust(c).ifPresent(b::trust);
    return Optional.of(b.build());
  }
}
