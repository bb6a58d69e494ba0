package org.o365mail.auth;

import com.microsoft.aad.msal4j.ClientCredentialFactory;
import com.microsoft.aad.msal4j.ClientCredentialParameters;
import com.microsoft.aad.msal4j.ConfidentialClientApplication;
import com.microsoft.aad.msal4j.IAuthenticationResult;
import com.microsoft.aad.msal4j.IClientCredential;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Client credentials (app-only) with one or more secrets or certificates, in order of preference. When Entra ID
 * rejects the credential in use as invalid or expired (AADSTS7000215, 7000222, 700027), the next one is tried
 * and stays in use: rotation without an outage.
 */
final class ClientCredentialsStrategy extends AbstractStrategy {
  private static final Logger logger = LoggerFactory.getLogger(ClientCredentialsStrategy.class);
  private static final Set<String> FAILOVER_CODES = Set.of("AADSTS7000215", "AADSTS7000222", "AADSTS700027");

  /** One configured credential and its MSAL application. */
  public static final class Credential {
    final ClientSecret secret;
    final CertificateCredential certificate;
    final String label;
    volatile ConfidentialClientApplication msal;

    public Credential(ClientSecret secret, CertificateCredential certificate) {
      this.secret = secret;
      this.certificate = certificate;
      this.label = credential().label();
    }

    public String label() {
      return label;
    }

    AppCredential credential() {
      return secret != null ? secret : certificate;
    }

    public ClientSecret secret() {
      return secret;
    }

    public CertificateCredential certificate() {
      return certificate;
    }
  }

  private final List<Credential> credentials;
  private final AtomicInteger active = new AtomicInteger();

  public ClientCredentialsStrategy(AppRegistration app, List<Credential> credentials, StrategySettings settings) {
    super(app, settings, "client-credentials");
    if (credentials.isEmpty()) {
      throw new IllegalStateException("no credential configured: call secret(...) or certificate(...)");
    }
    this.credentials = List.copyOf(credentials);
  }

  @Override
  public CredentialKind kind() {
    return CredentialKind.APP_ONLY;
  }

  @Override
  public String credentialLabel() {
    return credentials.get(active.get()).label;
  }

  @Override
  public List<AppCredential> appCredentials() {
    return credentials.stream().map(Credential::credential).toList();
  }

  @Override
  public Optional<AppCredential> appCredentialInUse() {
    return Optional.of(credentials.get(active.get()).credential());
  }

  /** The configured credentials, in order of preference. */
  public List<Credential> credentials() {
    return credentials;
  }

  /** The index of the credential in use. */
  public int activeIndex() {
    return active.get();
  }

  @Override
  protected AccessToken acquire(TokenRequest request) {
    int start = active.get();
    MailboxException last = null;
    for (int i = start; i < credentials.size(); i++) {
      Credential credential = credentials.get(i);
      try {
        AccessToken token = acquireWith(credential, request);
        if (i != start) {
          active.set(i);
          MailboxException cause = last;
          logger.warn("App {} now uses {} after {} was rejected ({}); remove or renew the rejected one",
              app.clientId(), credential.label, credentials.get(start).label,
              cause == null ? "" : cause.serviceErrorCode().orElse(""));
          try {
            settings.listener().credentialFailover(credentials.get(start).label, credential.label, cause);
          } catch (RuntimeException listenerFailure) {
            logger.warn("A credential listener threw; ignored", listenerFailure);
          }
        }
        return token;
      } catch (MailboxAuthenticationException e) {
        boolean failover = e.serviceErrorCode().filter(FAILOVER_CODES::contains).isPresent();
        if (!failover || i == credentials.size() - 1) {
          throw last != null && i > start ? withEarlier(e, last) : e;
        }
        last = e;
      }
    }
    throw last;
  }

  private static MailboxException withEarlier(MailboxException latest, MailboxException earlier) {
    latest.addSuppressed(earlier);
    return latest;
  }

  private AccessToken acquireWith(Credential credential, TokenRequest request) {
    Set<String> scopes = request.scopes(CredentialKind.APP_ONLY, app.cloud());
    AuthContext context = new AuthContext(app, credential.secret != null ? AuthFlow.CLIENT_SECRET
        : AuthFlow.CLIENT_CERTIFICATE, scopes, credential.secret, null);
    ConfidentialClientApplication msal = msalFor(credential);
    IAuthenticationResult result = MsalApps.await(
        msal.acquireToken(ClientCredentialParameters.builder(scopes).skipCache(true).build()),
        settings.timeout(), context);
    return new AccessToken(result.accessToken(), result.expiresOnDate().toInstant());
  }

  private ConfidentialClientApplication msalFor(Credential credential) {
    ConfidentialClientApplication msal = credential.msal;
    if (msal == null) {
      synchronized (credential) {
        msal = credential.msal;
        if (msal == null) {
          IClientCredential c = credential.secret != null
              ? ClientCredentialFactory.createFromSecret(credential.secret.value())
              : ClientCredentialFactory.createFromCertificateChain(credential.certificate.privateKey(),
                  credential.certificate.chain());
          msal = MsalApps.confidentialClient(app, c, executor, settings.timeout(), null);
          credential.msal = msal;
        }
      }
    }
    return msal;
  }
}
