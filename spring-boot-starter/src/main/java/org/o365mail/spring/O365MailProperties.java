package org.o365mail.spring;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * What {@code application.yml} says under {@code o365mail}: named connections with the keys of the CLI's
 * configuration file (in Spring's relaxed form: {@code client-id} or {@code clientId}), the imports to run and the
 * scheduler's size. Where a CLI key has a dot ({@code clientSecret.expiresAt}) the Spring key joins the words
 * ({@code client-secret-expires-at}). Secrets are plain values here: give them through Spring's property sources (an
 * environment variable, {@code ${...}}, a secrets store), never written in the file; an {@code env:NAME} or {@code
 * file:PATH} reference as in the CLI is accepted too.
 *
 * <p>Not thread-safe: bound once by Spring at start, then only read.
 */
@ConfigurationProperties(prefix = "o365mail")
public class O365MailProperties {
  /** The connections, by name: each one app registration, credential and mailbox. */
  private final Map<String, Connection> connections = new LinkedHashMap<>();

  /** The imports, by connection name: {@code o365mail.import.<name>.enabled=true} starts one. */
  private final Map<String, Import> imports = new LinkedHashMap<>();

  /** The import scheduler. */
  private final Scheduler scheduler = new Scheduler();

  /** Where importers keep their checkpoints when the application declares no CheckpointStore bean. */
  private Path checkpointDirectory;

  /** Several instances sharing the mailboxes through PostgreSQL leases. */
  private final Cluster cluster = new Cluster();

  public Map<String, Connection> getConnections() {
    return connections;
  }

  /** Bound from {@code o365mail.import.*} ({@code import} is a Java keyword). */
  public Map<String, Import> getImport() {
    return imports;
  }

  public Scheduler getScheduler() {
    return scheduler;
  }

  public Path getCheckpointDirectory() {
    return checkpointDirectory;
  }

  public void setCheckpointDirectory(Path checkpointDirectory) {
    this.checkpointDirectory = checkpointDirectory;
  }

  public Cluster getCluster() {
    return cluster;
  }

  /** One connection: the CLI's keys for it. Not thread-safe: bound once. */
  public static class Connection {
    /** The Application (client) ID, a GUID from the app registration's Overview page. */
    private String clientId;
    /**
     * The Directory (tenant) ID or a verified domain; required for app-only flows. {@code consumers} signs personal
     * Microsoft accounts in through {@code /consumers}.
     */
    private String tenant;
    /**
     * Who may sign in: SINGLE_TENANT (the default with a tenant), MULTI_TENANT (the default without one) or
     * MULTI_TENANT_AND_PERSONAL (the default, and the only choice, with tenant consumers).
     */
    private String accountTypes;
    /** The national cloud: GLOBAL (default), US_GOVERNMENT, US_GOVERNMENT_DOD or CHINA. */
    private String cloud;
    /** How it signs in: client-secret, client-certificate, username-password, device-code or interactive. */
    private String flow;
    /** The client secret's value (give it through an environment variable or a secrets store). */
    private String clientSecret;
    /** The secret's key id, as the app registration lists it. */
    private String clientSecretId;
    /** The day the secret expires, for the expiry warnings (yyyy-MM-dd). */
    private LocalDate clientSecretExpiresAt;
    /** A PKCS#12 file with the certificate and its private key (flow client-certificate). */
    private Path certificate;
    /** The PKCS#12 file's password. */
    private String certificatePassword;
    /** A PEM private key file (with certificate-cert, instead of certificate). */
    private Path certificateKey;
    /** A PEM certificate file (with certificate-key). */
    private Path certificateCert;
    /** The user's sign-in name (flow username-password). */
    private String username;
    /** The user's password (flow username-password). */
    private String password;
    /** How the mailbox is reached: graph or imap (add o365-mail-graph or o365-mail-imap). */
    private String protocol;
    /** The mailbox address, e.g. invoices@contoso.com. */
    private String mailbox;
    /** The folder imported (default Inbox), a path such as Inbox/Invoices. */
    private String folder;
    /** A private or local sign-in host instead of the cloud's (https URL). */
    private String authorityHost;
    /** Graph's base URL instead of the cloud's (https URL with /v1.0). */
    private String graphBaseUrl;
    /** The IMAP host instead of outlook.office365.com. */
    private String imapHost;
    /** The IMAP port (default 993). */
    private Integer imapPort;
    /** The SMTP host instead of smtp.office365.com. */
    private String smtpHost;
    /** The SMTP port (default 587). */
    private Integer smtpPort;
    /** A PKCS#12 trust store the sign-in endpoint's and the mail servers' certificates are checked against. */
    private Path trustStore;
    /** The trust store's password. */
    private String trustStorePassword;
    /** A directory that keeps delegated sign-ins (refresh tokens); memory when not set. */
    private Path tokenStore;
    /** Base64 of 32 random bytes that encrypts the token store. */
    private String tokenStoreKey;
    /**
     * How every path of the connection is reached: http://host:port, socks5://host:port, none, or system (the
     * default, the JVM's proxy settings).
     */
    private String proxy;
    /** The HTTP proxy's user, for Basic (with proxy-password). */
    private String proxyUser;
    /** The HTTP proxy's password (give it through an environment variable or a secrets store). */
    private String proxyPassword;
    /** Hosts reached directly, separated by commas: host names, *.suffix or IP addresses. */
    private String proxyNoProxy;

    public String getClientId() {
      return clientId;
    }

    public void setClientId(String clientId) {
      this.clientId = clientId;
    }

    public String getTenant() {
      return tenant;
    }

    public void setTenant(String tenant) {
      this.tenant = tenant;
    }

    public String getAccountTypes() {
      return accountTypes;
    }

    public void setAccountTypes(String accountTypes) {
      this.accountTypes = accountTypes;
    }

    public String getCloud() {
      return cloud;
    }

    public void setCloud(String cloud) {
      this.cloud = cloud;
    }

    public String getFlow() {
      return flow;
    }

    public void setFlow(String flow) {
      this.flow = flow;
    }

    public String getClientSecret() {
      return clientSecret;
    }

    public void setClientSecret(String clientSecret) {
      this.clientSecret = clientSecret;
    }

    public String getClientSecretId() {
      return clientSecretId;
    }

    public void setClientSecretId(String clientSecretId) {
      this.clientSecretId = clientSecretId;
    }

    public LocalDate getClientSecretExpiresAt() {
      return clientSecretExpiresAt;
    }

    public void setClientSecretExpiresAt(LocalDate clientSecretExpiresAt) {
      this.clientSecretExpiresAt = clientSecretExpiresAt;
    }

    public Path getCertificate() {
      return certificate;
    }

    public void setCertificate(Path certificate) {
      this.certificate = certificate;
    }

    public String getCertificatePassword() {
      return certificatePassword;
    }

    public void setCertificatePassword(String certificatePassword) {
      this.certificatePassword = certificatePassword;
    }

    public Path getCertificateKey() {
      return certificateKey;
    }

    public void setCertificateKey(Path certificateKey) {
      this.certificateKey = certificateKey;
    }

    public Path getCertificateCert() {
      return certificateCert;
    }

    public void setCertificateCert(Path certificateCert) {
      this.certificateCert = certificateCert;
    }

    public String getUsername() {
      return username;
    }

    public void setUsername(String username) {
      this.username = username;
    }

    public String getPassword() {
      return password;
    }

    public void setPassword(String password) {
      this.password = password;
    }

    public String getProtocol() {
      return protocol;
    }

    public void setProtocol(String protocol) {
      this.protocol = protocol;
    }

    public String getMailbox() {
      return mailbox;
    }

    public void setMailbox(String mailbox) {
      this.mailbox = mailbox;
    }

    public String getFolder() {
      return folder;
    }

    public void setFolder(String folder) {
      this.folder = folder;
    }

    public String getAuthorityHost() {
      return authorityHost;
    }

    public void setAuthorityHost(String authorityHost) {
      this.authorityHost = authorityHost;
    }

    public String getGraphBaseUrl() {
      return graphBaseUrl;
    }

    public void setGraphBaseUrl(String graphBaseUrl) {
      this.graphBaseUrl = graphBaseUrl;
    }

    public String getImapHost() {
      return imapHost;
    }

    public void setImapHost(String imapHost) {
      this.imapHost = imapHost;
    }

    public Integer getImapPort() {
      return imapPort;
    }

    public void setImapPort(Integer imapPort) {
      this.imapPort = imapPort;
    }

    public String getSmtpHost() {
      return smtpHost;
    }

    public void setSmtpHost(String smtpHost) {
      this.smtpHost = smtpHost;
    }

    public Integer getSmtpPort() {
      return smtpPort;
    }

    public void setSmtpPort(Integer smtpPort) {
      this.smtpPort = smtpPort;
    }

    public Path getTrustStore() {
      return trustStore;
    }

    public void setTrustStore(Path trustStore) {
      this.trustStore = trustStore;
    }

    public String getTrustStorePassword() {
      return trustStorePassword;
    }

    public void setTrustStorePassword(String trustStorePassword) {
      this.trustStorePassword = trustStorePassword;
    }

    public Path getTokenStore() {
      return tokenStore;
    }

    public void setTokenStore(Path tokenStore) {
      this.tokenStore = tokenStore;
    }

    public String getTokenStoreKey() {
      return tokenStoreKey;
    }

    public void setTokenStoreKey(String tokenStoreKey) {
      this.tokenStoreKey = tokenStoreKey;
    }

    public String getProxy() {
      return proxy;
    }

    public void setProxy(String proxy) {
      this.proxy = proxy;
    }

    public String getProxyUser() {
      return proxyUser;
    }

    public void setProxyUser(String proxyUser) {
      this.proxyUser = proxyUser;
    }

    public String getProxyPassword() {
      return proxyPassword;
    }

    public void setProxyPassword(String proxyPassword) {
      this.proxyPassword = proxyPassword;
    }

    public String getProxyNoProxy() {
      return proxyNoProxy;
    }

    public void setProxyNoProxy(String proxyNoProxy) {
      this.proxyNoProxy = proxyNoProxy;
    }

    /** Names the connection's non-secret settings only. */
    @Override
    public String toString() {
      return "Connection[clientId=" + clientId + ", tenant=" + tenant + ", flow=" + flow + ", protocol=" + protocol
          + ", mailbox=" + mailbox + "]";
    }
  }

  /** One import: a connection's mailbox into the application's handler. Not thread-safe: bound once. */
  public static class Import {
    /** Whether the import runs (started after the context is refreshed, stopped on shutdown). */
    private boolean enabled;
    /** How often the mailbox is polled for new messages. */
    private Duration pollInterval;
    /** How many attempts the handler gets before a message is parked. */
    private Integer handlerAttempts;
    /** What happens to an imported message: none (default), read, delete or move:Folder/Path. */
    private String postAction;
    /** Where messages the handler keeps refusing are moved (default: left in place, listed as dead letters). */
    private String parkFolder;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public Duration getPollInterval() {
      return pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
    }

    public Integer getHandlerAttempts() {
      return handlerAttempts;
    }

    public void setHandlerAttempts(Integer handlerAttempts) {
      this.handlerAttempts = handlerAttempts;
    }

    public String getPostAction() {
      return postAction;
    }

    public void setPostAction(String postAction) {
      this.postAction = postAction;
    }

    public String getParkFolder() {
      return parkFolder;
    }

    public void setParkFolder(String parkFolder) {
      this.parkFolder = parkFolder;
    }
  }

  /** The import scheduler's size. Not thread-safe: bound once. */
  public static class Scheduler {
    /** How many threads run the import cycles of all mailboxes. */
    private int threads = 2;

    public int getThreads() {
      return threads;
    }

    public void setThreads(int threads) {
      this.threads = threads;
    }
  }

  /** Several instances of the application importing one list of mailboxes. Not thread-safe: bound once. */
  public static class Cluster {
    /**
     * Whether the instances share the imports through PostgreSQL leases (o365-mail-jdbc and a DataSource bean
     * needed): each instance imports its fair share and takes over a dead instance's mailboxes.
     */
    private boolean jdbc;
    /** This instance's name in the cluster (default pid@host). */
    private String owner;
    /** How long a lease holds without renewal: a dead instance's mailboxes move after this and a poll. */
    private Duration leaseTtl = Duration.ofSeconds(30);
    /** How often leases are renewed, claimed and given back (default a third of the lease). */
    private Duration pollInterval;

    public boolean isJdbc() {
      return jdbc;
    }

    public void setJdbc(boolean jdbc) {
      this.jdbc = jdbc;
    }

    public String getOwner() {
      return owner;
    }

    public void setOwner(String owner) {
      this.owner = owner;
    }

    public Duration getLeaseTtl() {
      return leaseTtl;
    }

    public void setLeaseTtl(Duration leaseTtl) {
      this.leaseTtl = leaseTtl;
    }

    public Duration getPollInterval() {
      return pollInterval;
    }

    public void setPollInterval(Duration pollInterval) {
      this.pollInterval = pollInterval;
    }
  }
}
