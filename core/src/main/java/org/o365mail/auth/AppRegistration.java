package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.o365mail.ProxySettings;

/**
 * The Entra ID app registration as the SDK needs it: Application (client) ID, Directory (tenant) ID or a
 * verified domain, supported account types and cloud, plus an authority-host override and an explicit TLS
 * trust for the local tenant of the testkit or a private cloud. Derives the authority and refuses, when
 * built, combinations that cannot work, naming the field to change. Immutable and thread-safe.
 *
 * <pre>{@code
 * AppRegistration app = AppRegistration.builder()
 *     .clientId("1b2c3d4e-...")
 *     .tenant("contoso.onmicrosoft.com")
 *     .build();                     // authority https://login.microsoftonline.com/contoso.onmicrosoft.com/
 * }</pre>
 */
public final class AppRegistration {
  /**
   * The tenant id Entra gives every personal Microsoft account ({@code tid} of its id tokens): the consumers tenant,
   * which is not a tenant an app can name; use {@link Builder#consumers()}.
   */
  public static final String CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad";

  private static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final Pattern DOMAIN = Pattern.compile("(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+");

  private final String clientId;
  private final String tenant;
  private final AccountTypes accountTypes;
  private final boolean consumers;
  private final Cloud cloud;
  private final URI authorityHost;
  private final boolean authorityHostOverridden;
  private final SSLContext trust;
  private final ProxySettings proxy;

  private AppRegistration(Builder b) {
    this.clientId = b.clientId;
    this.tenant = b.tenant;
    this.accountTypes = b.accountTypes;
    this.consumers = b.consumers;
    this.cloud = b.cloud;
    this.authorityHostOverridden = b.authorityHost != null;
    this.authorityHost = b.authorityHost != null ? b.authorityHost : b.cloud.authorityHost();
    this.trust = b.trust;
    this.proxy = b.proxy;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Application (client) ID. */
  public String clientId() {
    return clientId;
  }

  /** Directory (tenant) ID or verified domain, when one is configured. */
  public Optional<String> tenant() {
    return Optional.ofNullable(tenant);
  }

  public AccountTypes accountTypes() {
    return accountTypes;
  }

  public Cloud cloud() {
    return cloud;
  }

  /** The sign-in host: the override when set, otherwise the cloud's. */
  public URI authorityHost() {
    return authorityHost;
  }

  /** Whether the authority host was overridden (testkit, private cloud): MSAL's instance discovery is then off. */
  public boolean authorityHostOverridden() {
    return authorityHostOverridden;
  }

  /**
   * How the authority and, unless their builders say otherwise, Graph, IMAP and SMTP are reached (default {@link
   * ProxySettings#system()}).
   */
  public ProxySettings proxy() {
    return proxy;
  }

  /** The explicit TLS trust for the authority and mail endpoints, when set. */
  public Optional<SSLContext> trust() {
    return Optional.ofNullable(trust);
  }

  /**
   * The tenant segment of the authority: the tenant, else {@code consumers} ({@link Builder#consumers()}), else
   * {@code organizations} or {@code common}.
   */
  public String authorityTenant() {
    if (tenant != null) {
      return tenant;
    }
    if (consumers) {
      return "consumers";
    }
    return accountTypes == AccountTypes.MULTI_TENANT_AND_PERSONAL ? "common" : "organizations";
  }

  /** Whether the authority names one tenant (what client credentials need). */
  public boolean hasSpecificTenant() {
    return tenant != null;
  }

  /** The authority URL with trailing slash, e.g. {@code https://login.microsoftonline.com/contoso.com/}. */
  public String authority() {
    String host = authorityHost.toString();
    while (host.endsWith("/")) {
      host = host.substring(0, host.length() - 1);
    }
    return host + "/" + authorityTenant() + "/";
  }

  /** A copy with another tenant (for multitenant apps used in a customer's tenant). */
  public AppRegistration withTenant(String newTenant) {
    return toBuilder().tenant(newTenant).build();
  }

  public Builder toBuilder() {
    Builder b = new Builder().clientId(clientId).accountTypes(accountTypes).cloud(cloud);
    if (tenant != null) {
      b.tenant(tenant);
    }
    if (consumers) {
      b.consumers();
    }
    if (authorityHostOverridden) {
      b.authorityHost(authorityHost);
    }
    if (trust != null) {
      b.trust(trust);
    }
    return b.proxy(proxy);
  }

  @Override
  public String toString() {
    return "AppRegistration[clientId=" + clientId + ", authority=" + authority() + ", accountTypes=" + accountTypes
        + ", cloud=" + cloud + "]";
  }

  /** Builds an {@link AppRegistration}; {@link #build()} names every setting that is missing or contradictory. */
  public static final class Builder {
    private String clientId;
    private String tenant;
    private AccountTypes accountTypes = AccountTypes.SINGLE_TENANT;
    private boolean consumers;
    private Cloud cloud = Cloud.GLOBAL;
    private URI authorityHost;
    private SSLContext trust;
    private ProxySettings proxy = ProxySettings.system();

    private Builder() {}

    /** Application (client) ID from the app's Overview page. */
    public Builder clientId(String value) {
      String v = requireNonNull(value, "clientId").trim();
      if (!GUID.matcher(v).matches()) {
        throw new IllegalArgumentException("clientId '" + v + "' is not a GUID: use the Application (client) ID"
            + " from the app registration's Overview page (36 characters, like 1b2c3d4e-0000-1111-2222-333344445555)");
      }
      this.clientId = v.toLowerCase(Locale.ROOT);
      return this;
    }

    /** Directory (tenant) ID or a verified domain of the tenant, such as {@code contoso.onmicrosoft.com}. */
    public Builder tenant(String value) {
      String v = requireNonNull(value, "tenant").trim();
      String lower = v.toLowerCase(Locale.ROOT);
      if (lower.equals("common") || lower.equals("organizations") || lower.equals("consumers")
          || lower.equals(CONSUMERS_TENANT_ID)) {
        throw new IllegalArgumentException("tenant '" + v + "' is not a tenant: leave tenant unset and choose"
            + " accountTypes (MULTI_TENANT signs in through /organizations, MULTI_TENANT_AND_PERSONAL through /common,"
            + " or through /consumers with consumers())");
      }
      if (!GUID.matcher(v).matches() && !DOMAIN.matcher(v).matches()) {
        throw new IllegalArgumentException("tenant '" + v + "' is neither a Directory (tenant) ID (a GUID) nor a"
            + " domain such as contoso.onmicrosoft.com");
      }
      this.tenant = lower;
      return this;
    }

    /** Supported account types (default {@link AccountTypes#SINGLE_TENANT}). */
    public Builder accountTypes(AccountTypes value) {
      this.accountTypes = requireNonNull(value, "accountTypes");
      return this;
    }

    /**
     * Signs in through {@code /consumers}: personal Microsoft accounts (outlook.com, hotmail.com, live.com) only, for
     * an app whose supported account types include personal accounts ({@link AccountTypes#MULTI_TENANT_AND_PERSONAL},
     * tenant left blank). Without it such an app signs in through {@code /common}, which takes both work and personal
     * accounts. Delegated flows only: Entra refuses client credentials and username/password there.
     */
    public Builder consumers() {
      this.consumers = true;
      return this;
    }

    /** The cloud (default {@link Cloud#GLOBAL}). */
    public Builder cloud(Cloud value) {
      this.cloud = requireNonNull(value, "cloud");
      return this;
    }

    /** Overrides the sign-in host (the testkit's local tenant, a private cloud); must be https. */
    public Builder authorityHost(URI value) {
      requireNonNull(value, "authorityHost");
      if (!"https".equalsIgnoreCase(value.getScheme()) || value.getHost() == null) {
        throw new IllegalArgumentException("authorityHost must be an https URL such as https://login.microsoftonline.com,"
            + " was " + value);
      }
      if (value.getPath() != null && !value.getPath().isEmpty() && !value.getPath().equals("/")) {
        throw new IllegalArgumentException("authorityHost must have no path (the tenant is set with tenant()), was "
            + value);
      }
      this.authorityHost = value;
      return this;
    }

    public Builder authorityHost(String value) {
      return authorityHost(URI.create(requireNonNull(value, "authorityHost")));
    }

    /**
     * Trusts the certificates this context trusts for the authority and mail endpoints, instead of the JVM's
     * default trust store: for a private CA or the testkit. Hostname checks stay on.
     */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /**
     * The proxy for the sign-in and, by default, for the connectors built on this registration (default {@link
     * ProxySettings#system()}, the JVM's settings).
     */
    public Builder proxy(ProxySettings value) {
      this.proxy = requireNonNull(value, "proxy");
      return this;
    }

    public AppRegistration build() {
      if (clientId == null) {
        throw new IllegalStateException("missing required setting: clientId() (the Application (client) ID)");
      }
      switch (accountTypes) {
        case PERSONAL_ONLY -> throw new IllegalStateException("accountTypes PERSONAL_ONLY is not supported:"
            + " personal Microsoft accounts only cannot reach Microsoft 365 mailboxes; register the app for"
            + " organizational accounts");
        case SINGLE_TENANT -> {
          if (tenant == null) {
            throw new IllegalStateException("tenant() is required when accountTypes is SINGLE_TENANT: a single"
                + " tenant app signs in with both Client ID and Directory (tenant) ID");
          }
        }
        case MULTI_TENANT_AND_PERSONAL -> {
          if (tenant != null) {
            throw new IllegalStateException("tenant must be left unset when accountTypes is"
                + " MULTI_TENANT_AND_PERSONAL: such apps sign in through /common, and the tenant id must be blank");
          }
        }
        default -> {
          // MULTI_TENANT: tenant optional
        }
      }
      if (consumers && accountTypes != AccountTypes.MULTI_TENANT_AND_PERSONAL) {
        throw new IllegalStateException("consumers() needs accountTypes MULTI_TENANT_AND_PERSONAL: an app whose"
            + " Supported account types exclude personal Microsoft accounts is refused at /consumers (AADSTS9002332)");
      }
      if (consumers && cloud != Cloud.GLOBAL) {
        throw new IllegalStateException("consumers() is for the global cloud only: national clouds have no personal"
            + " Microsoft accounts");
      }
      return new AppRegistration(this);
    }
  }
}
