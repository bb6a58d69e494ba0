package org.o365mail.cli;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.o365mail.MailboxConnector;
import org.o365mail.OutgoingMessage;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.doctor.DoctorProbe;
import org.o365mail.graph.GraphDoctorProbe;
import org.o365mail.graph.GraphMailboxConnector;
import org.o365mail.graph.GraphRegisteredCredentials;
import org.o365mail.imap.ExchangeSessions;
import org.o365mail.imap.ImapDoctorProbe;
import org.o365mail.imap.ImapMailboxConnector;
import org.o365mail.imap.SmtpSender;

/** Builds the connector, the sender and the registration reader of a configured connection. */
public final class Connectors {
  /** What the command's IMAP connectors and SMTP senders learn from Exchange, shared among them. */
  private static final ExchangeSessions EXCHANGE = ExchangeSessions.builder().build();

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
    return b.sessions(EXCHANGE).build();
  }

  /** Sends through Graph {@code sendMail} or SMTP AUTH, by the connection's protocol. */
  public static void send(ConnectionConfig c, CredentialStrategy credential, OutgoingMessage message) {
    if (c.protocol() == ConnectionConfig.Protocol.GRAPH) {
      try (MailboxConnector connector = connector(c, credential)) {
        connector.send(message);
      }
      return;
    }
    smtpSender(c, credential).send(message);
  }

  /** The token the connector asks for, and what its claims must allow. */
  public static TokenRequest tokenRequest(ConnectionConfig c) {
    return Credentials.signInRequest(c);
  }

  /**
   * The token the connector asks for to open the mailbox when it is not {@link #tokenRequest}: a user's Graph
   * connector to a mailbox other than their own asks for {@code Mail.ReadWrite.Shared}, as {@link
   * GraphMailboxConnector} does for a mailbox that is not the signed-in user's.
   */
  public static Optional<TokenRequest> mailboxTokenRequest(ConnectionConfig c, CredentialStrategy credential) {
    if (c.protocol() != ConnectionConfig.Protocol.GRAPH || c.sendOnly()
        || credential.kind() == CredentialKind.APP_ONLY) {
      return Optional.empty();
    }
    boolean own = credential.username().map(u -> u.equalsIgnoreCase(c.mailbox())).orElse(true);
    return own ? Optional.empty() : Optional.of(TokenRequest.graph("Mail.ReadWrite.Shared"));
  }

  public static TokenPreflight.Requirement requirement(ConnectionConfig c) {
    if (c.sendOnly()) {
      return sendRequirement(c);
    }
    return c.protocol() == ConnectionConfig.Protocol.IMAP ? TokenPreflight.Requirement.imap()
        : TokenPreflight.Requirement.graphReadWrite();
  }

  /** The token sending uses: SMTP AUTH's for IMAP connections, Graph's Mail.Send for Graph ones. */
  public static TokenRequest sendTokenRequest(ConnectionConfig c) {
    return c.protocol() == ConnectionConfig.Protocol.IMAP ? TokenRequest.smtp() : TokenRequest.graph("Mail.Send");
  }

  public static TokenPreflight.Requirement sendRequirement(ConnectionConfig c) {
    return c.protocol() == ConnectionConfig.Protocol.IMAP ? TokenPreflight.Requirement.smtp()
        : TokenPreflight.Requirement.graphSend();
  }

  /** The SMTP AUTH sender of an IMAP connection (Graph connections send through Graph). */
  public static SmtpSender smtpSender(ConnectionConfig c, CredentialStrategy credential) {
    SmtpSender.Builder b = SmtpSender.builder().mailbox(c.mailbox()).credential(credential).sessions(EXCHANGE);
    c.smtpHost().ifPresent(b::host);
    c.smtpPort().ifPresent(b::port);
    Credentials.mailTrust(c).ifPresent(b::trust);
    return b.build();
  }

  /**
   * Why the SMTP path of this connection is not checked, when it is not: its authority is not the sign-in host of
   * its cloud (a private or local tenant) and no {@code smtpHost} says where its SMTP is. A token from such an
   * authority is never sent to Microsoft's SMTP host.
   */
  public static Optional<String> smtpCheckSkipped(ConnectionConfig c, CredentialStrategy credential) {
    if (c.smtpHost().isPresent()) {
      return Optional.empty();
    }
    AppRegistration app = credential.registration();
    if (cloudsOwnAuthority(app)) {
      return Optional.empty();
    }
    return Optional.of("SMTP not checked: the authority " + app.authorityHost() + " is not "
        + app.cloud().authorityHost().getHost() + " and "
        + c.name() + ".smtpHost is not set (set smtpHost to check it)");
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
    if (cloudsOwnAuthority(app)) {
      return Optional.empty();
    }
    return Optional.of("app registration not read: the authority " + app.authorityHost() + " is not "
        + app.cloud().authorityHost().getHost()
        + " and " + c.name() + ".graphBaseUrl is not set, so no Graph of that authority is known (set graphBaseUrl"
        + " to read it)");
  }

  /** Whether the app signs in at its cloud's own sign-in host (scheme's default port included). */
  private static boolean cloudsOwnAuthority(AppRegistration app) {
    URI authority = app.authorityHost();
    URI cloudHost = app.cloud().authorityHost();
    return authority.getHost().equalsIgnoreCase(cloudHost.getHost()) && port(authority) == port(cloudHost);
  }

  private static int port(URI uri) {
    return uri.getPort() == -1 ? 443 : uri.getPort();
  }

  /**
   * The probes {@code doctor} adds for this connection's failed checks, in the order they are asked: Graph's first
   * (it can tell a mistyped mailbox, a permission on the wrong API or not consented, when the app may read them),
   * then IMAP's (other mailboxes of the same app, from the same file). Graph is probed only where this connection's
   * tokens may go: its {@code graphBaseUrl}, or its cloud's Graph when the authority is the cloud's own.
   *
   * @param others the file's other connections (IMAP's probe logs in to those of the same app and server)
   */
  public static List<DoctorProbe> doctorProbes(ConnectionConfig c, CredentialStrategy credential,
      Collection<ConnectionConfig> others) {
    List<DoctorProbe> probes = new ArrayList<>();
    AppRegistration app = credential.registration();
    if (c.graphBaseUrl().isPresent() || cloudsOwnAuthority(app)) {
      String base = c.graphBaseUrl().orElse(app.cloud().graphEndpoint() + "/v1.0");
      GraphDoctorProbe.Builder b = GraphDoctorProbe.builder().baseUrl(base).allowedHosts(URI.create(base).getHost());
      Credentials.mailTrust(c).ifPresent(b::trust);
      probes.add(b.build());
    }
    if (c.protocol() == ConnectionConfig.Protocol.IMAP && credential.kind() == CredentialKind.APP_ONLY) {
      Map<String, ConnectionConfig> sameApp = new LinkedHashMap<>();
      for (ConnectionConfig o : others) {
        if (!o.name().equals(c.name()) && o.protocol() == ConnectionConfig.Protocol.IMAP
            && o.clientId().equals(c.clientId())
            && o.tenant().equals(c.tenant()) && o.authorityHost().equals(c.authorityHost())
            && o.imapHost().equals(c.imapHost()) && o.imapPort().equals(c.imapPort())
            && !o.mailbox().equalsIgnoreCase(c.mailbox())) {
          sameApp.putIfAbsent(o.mailbox().toLowerCase(Locale.ROOT), o);
        }
      }
      if (!sameApp.isEmpty()) {
        probes.add(ImapDoctorProbe.builder()
            .connectors(address -> (ImapMailboxConnector) connector(
                sameApp.get(address.toLowerCase(Locale.ROOT)), credential))
            .otherMailboxes(sameApp.values().stream().map(ConnectionConfig::mailbox).toList())
            .build());
      }
    }
    return probes;
  }

  /**
   * Reads the app's registered secrets and certificates through Graph with the connection's own app-only
   * credential (needs Application.Read.All; without it the tracker reports UNKNOWN with the reason). Close it.
   */
  public static Optional<GraphRegisteredCredentials> registeredCredentials(ConnectionConfig c,
      CredentialStrategy credential) {
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
