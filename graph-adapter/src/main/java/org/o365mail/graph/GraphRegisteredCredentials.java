package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import com.microsoft.graph.models.Application;
import com.microsoft.graph.models.KeyCredential;
import com.microsoft.graph.models.PasswordCredential;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.o365mail.MailboxException;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.expiry.CredentialType;
import org.o365mail.expiry.RegisteredCredential;
import org.o365mail.expiry.RegisteredCredentials;
import org.o365mail.graph.internal.Governor;
import org.o365mail.graph.internal.GraphAuthentication;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors;
import org.o365mail.graph.internal.GraphTransport;

/**
 * Reads an app registration's client secrets and certificates from Microsoft Graph ({@code GET
 * /applications(appId='...')}) for the secret-expiry tracker: never a secret value, only ids, hints,
 * thumbprints and dates. Needs {@code Application.Read.All} (application or delegated) or an owner's token; when
 * the app may not read its registration, {@link #list} throws {@link RegisteredCredentials.Unavailable} with a
 * reason an admin can act on, which is not a failure of anything else. Thread-safe; close it when done.
 */
public final class GraphRegisteredCredentials implements RegisteredCredentials, AutoCloseable {
  static final String NO_PERMISSION =
      "the app may not read its registration: grant Application.Read.All or make it an owner";

  private final GraphTransport transport;
  private final GraphErrors errors;

  private GraphRegisteredCredentials(Builder b) {
    URI base = b.baseUrl != null ? b.baseUrl : URI.create(b.credential.registration().cloud().graphEndpoint() + "/v1.0");
    GraphAuthentication auth = new GraphAuthentication(b.credential, base, b.allowedHosts, "Mail.Read", "Mail.Send");
    Governor governor = new Governor(4, 4, Duration.ofSeconds(30), auth);
    SSLContext trust = b.trust != null ? b.trust : b.credential.registration().trust().orElse(null);
    this.transport = new GraphTransport(base, auth, governor, trust, Duration.ofSeconds(60));
    this.errors = new GraphErrors("(directory)", b.credential.registration().clientId(), auth, true, base);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public List<RegisteredCredential> list(String clientId) throws Unavailable {
    requireNonNull(clientId, "clientId");
    Application app;
    try {
      app = transport.client().applicationsWithAppId(clientId).get(rc -> {
        rc.queryParameters.select = new String[] {"id", "appId", "displayName", "passwordCredentials", "keyCredentials"};
        rc.options.add(GraphCall.DIRECTORY);
      });
    } catch (RuntimeException e) {
      Optional<GraphErrors.Failure> failure = GraphErrors.failureOf(e);
      if (failure.isPresent() && failure.get().status() == 403) {
        throw new Unavailable(NO_PERMISSION, null);
      }
      if (failure.isPresent() && failure.get().status() == 404) {
        throw new Unavailable("no app registration with client id " + clientId + " in the tenant the token is for",
            null);
      }
      MailboxException m = errors.map(e, GraphErrors.Target.DIRECTORY, "reading app registration " + clientId,
          Access.DIRECTORY);
      throw new Unavailable(m.getMessage(), m);
    }
    List<RegisteredCredential> out = new ArrayList<>();
    if (app.getPasswordCredentials() != null) {
      for (PasswordCredential p : app.getPasswordCredentials()) {
        if (p.getKeyId() == null || p.getEndDateTime() == null) {
          continue;
        }
        out.add(new RegisteredCredential(CredentialType.CLIENT_SECRET, p.getKeyId().toString(), p.getDisplayName(),
            Optional.ofNullable(p.getHint()), p.getStartDateTime() == null ? null : p.getStartDateTime().toInstant(),
            p.getEndDateTime().toInstant()));
      }
    }
    if (app.getKeyCredentials() != null) {
      for (KeyCredential k : app.getKeyCredentials()) {
        if (k.getKeyId() == null || k.getEndDateTime() == null) {
          continue;
        }
        out.add(new RegisteredCredential(CredentialType.CERTIFICATE, k.getKeyId().toString(), k.getDisplayName(),
            Optional.ofNullable(thumbprint(k.getCustomKeyIdentifier())),
            k.getStartDateTime() == null ? null : k.getStartDateTime().toInstant(),
            k.getEndDateTime().toInstant()));
      }
    }
    return out;
  }

  /** Graph sends the certificate's SHA-1 thumbprint as {@code customKeyIdentifier} (base64 of its bytes). */
  private static String thumbprint(byte[] customKeyIdentifier) {
    return customKeyIdentifier == null ? null : HexFormat.of().withUpperCase().formatHex(customKeyIdentifier);
  }

  @Override
  public void close() {
    transport.close();
  }

  /** Builds a {@link GraphRegisteredCredentials}. Required: {@link #credential(CredentialStrategy)}. */
  public static final class Builder {
    private CredentialStrategy credential;
    private URI baseUrl;
    private SSLContext trust;
    private final Set<String> allowedHosts = new LinkedHashSet<>();

    private Builder() {}

    /** App-only (Application.Read.All role) or delegated (Application.Read.All scope, or an owner). */
    public Builder credential(CredentialStrategy value) {
      this.credential = requireNonNull(value, "credential");
      return this;
    }

    /** The Graph base URL, {@code https://host[:port]/v1.0}; default the credential's cloud. */
    public Builder baseUrl(String value) {
      URI uri = URI.create(requireNonNull(value, "baseUrl"));
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
        throw new IllegalArgumentException("baseUrl must be an https:// URL, was " + value);
      }
      this.baseUrl = uri;
      return this;
    }

    /** The TLS trust for the Graph host (default: the credential's registration's, else the JVM's). */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /**
     * More origins that may receive the token, besides the base URL's: {@code host} means HTTPS on port 443 only,
     * {@code host:port} or {@code https://host:port} another port.
     */
    public Builder allowedHosts(String... hosts) {
      for (String h : hosts) {
        allowedHosts.add(requireNonNull(h, "host").toLowerCase(Locale.ROOT));
      }
      return this;
    }

    public GraphRegisteredCredentials build() {
      if (credential == null) {
        throw new IllegalStateException("missing required setting: credential()");
      }
      return new GraphRegisteredCredentials(this);
    }
  }
}
