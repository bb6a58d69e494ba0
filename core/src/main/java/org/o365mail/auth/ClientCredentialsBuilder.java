package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds an app-only strategy. Several credentials may be given (a current and a new secret during rotation, or
 * a secret and a certificate): they are tried in the order given, and a rejected or expired one is skipped.
 */
public final class ClientCredentialsBuilder extends StrategyBuilder<ClientCredentialsBuilder> {
  private final List<ClientCredentialsStrategy.Credential> credentials = new ArrayList<>();

  ClientCredentialsBuilder(AppRegistration app) {
    super(app);
  }

  /** A client secret (call again to add a second one for rotation). */
  public ClientCredentialsBuilder secret(ClientSecret secret) {
    credentials.add(new ClientCredentialsStrategy.Credential(requireNonNull(secret, "secret"), null));
    return this;
  }

  /** A certificate credential (recommended by Microsoft over secrets). */
  public ClientCredentialsBuilder certificate(CertificateCredential certificate) {
    credentials.add(new ClientCredentialsStrategy.Credential(null, requireNonNull(certificate, "certificate")));
    return this;
  }

  public CredentialStrategy build() {
    if (credentials.isEmpty()) {
      throw new IllegalStateException("missing required setting: secret(...) or certificate(...)");
    }
    if (!app.hasSpecificTenant()) {
      throw new IllegalStateException("client credentials need a specific tenant: set AppRegistration tenant() to"
          + " the Directory (tenant) ID or a domain; '" + app.authorityTenant() + "' cannot issue app-only tokens");
    }
    return new ClientCredentialsStrategy(app, credentials, settings());
  }
}
