package org.o365mail.testkit;

import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import org.o365mail.testkit.internal.Pki;

/**
 * A Microsoft 365 tenant on loopback: an Entra ID identity endpoint over HTTPS, Exchange Online IMAP (XOAUTH2
 * over TLS) and SMTP submission (STARTTLS + XOAUTH2), and a Microsoft Graph stand-in over HTTPS, all on
 * 127.0.0.1 with ephemeral ports and sharing one mailbox store. It behaves, and fails, the way Entra ID,
 * Exchange Online and Graph do for the setup steps of the vendor guides: model the tenant with {@link
 * #createTenant(String)}, then point the code under test at {@link #authorityHost()}, {@link #graphBaseUrl()},
 * {@link #imapPort()} and {@link #smtpPort()}, trusting {@link #sslContext()}.
 *
 * <pre>{@code
 * try (LocalTenant m365 = LocalTenant.start()) {
 *   Tenant contoso = m365.createTenant("contoso.com");
 *   Application app = contoso.registerApp("Mail import");
 *   PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(180));
 *   app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
 *   Mailbox inbox = contoso.addUser("alice@contoso.com", "Passw0rd!").mailbox();
 *   contoso.registerExchangeServicePrincipal(app);
 *   contoso.addMailboxPermission(inbox.address(), ..., "FullAccess");
 * }
 * }</pre>
 *
 * <p>The TLS certificate is self-signed and generated at start; nothing trusts it unless told to, through
 * {@link #sslContext()}, {@link #trustStore()} or {@link #writeTrustStore(Path, char[])}. Thread-safe.
 */
public final class LocalTenant implements AutoCloseable {
  private static final int MAX_RECORDED = 200_000;

  private final String hostName;
  private final TestClock clock;
  private final Faults faults;
  private final MailStore mailStore;
  private final Directory directory;
  private final TokenService tokens;
  private final boolean twoAuthorities;
  private final X509Certificate identityCertificate;
  private final X509Certificate mailCertificate;
  private final SSLContext identityServerTls;
  private final SSLContext mailServerTls;
  private final KeyStore identityTrustStore;
  private final KeyStore mailTrustStore;
  private final KeyStore trustStore;
  private final SSLContext clientTls;
  private final ExchangeAccess exchangeAccess;
  private final Delivery delivery;
  private final ConcurrentLinkedDeque<RecordedRequest> recorded = new ConcurrentLinkedDeque<>();
  private final AtomicInteger recordedCount = new AtomicInteger();
  private final CommandLog commands = new CommandLog();
  private final MailboxAccessLog mailboxAccess;
  private final IdentityServer identity;
  private final GraphServer graph;
  private final ImapFront imap;
  private final SmtpServer smtp;
  private final boolean contract;
  private final int requestWindowRequests;
  private final Duration requestWindow;
  private final long uploadWindowBytes;
  private final Duration uploadWindow;
  private final Instant startedAt;
  private final Duration startupTime;

  private LocalTenant(Builder builder) {
    long begin = System.nanoTime();
    this.hostName = builder.hostName;
    this.clock = new TestClock();
    this.mailboxAccess = new MailboxAccessLog(clock);
    this.faults = new Faults(builder.seed, clock);
    this.contract = builder.contract;
    this.requestWindowRequests = builder.requestWindowRequests;
    this.requestWindow = builder.requestWindow;
    this.uploadWindowBytes = builder.uploadWindowBytes;
    this.uploadWindow = builder.uploadWindow;
    applyStartingFaults();
    CompletableFuture<KeyPair> tlsKeys = CompletableFuture.supplyAsync(Pki::rsaKeyPair);
    CompletableFuture<MailStore> store = CompletableFuture.supplyAsync(MailStore::new);
    KeyPair signingKeys = Pki.rsaKeyPair();
    KeyPair serverKeys = tlsKeys.join();
    this.mailStore = store.join();
    Instant now = clock.instant();
    Instant notBefore = now.minus(Duration.ofDays(1));
    Instant notAfter = now.plus(Duration.ofDays(3650));
    this.twoAuthorities = builder.twoAuthorities;
    if (twoAuthorities) {
      // two private CAs, as when the sign-in endpoint (an AD FS or a proxy) and the mail servers come from
      // different PKIs: each endpoint's certificate is issued by its own CA, which alone is put in trust stores
      KeyPair mailKeys = Pki.rsaKeyPair();
      KeyPair identityCaKeys = Pki.rsaKeyPair();
      KeyPair mailCaKeys = Pki.rsaKeyPair();
      X509Certificate identityCa = Pki.certificateAuthority(
          identityCaKeys, "CN=O365 Mail SDK testkit identity CA", notBefore, notAfter);
      X509Certificate mailCa =
          Pki.certificateAuthority(mailCaKeys, "CN=O365 Mail SDK testkit mail CA", notBefore, notAfter);
      this.identityCertificate = Pki.issuedServerCertificate(serverKeys,
          "CN=localhost, O=O365 Mail SDK testkit identity", identityCa, identityCaKeys.getPrivate(), notBefore,
          notAfter);
      this.mailCertificate = Pki.issuedServerCertificate(mailKeys, "CN=localhost, O=O365 Mail SDK testkit mail",
          mailCa, mailCaKeys.getPrivate(), notBefore, notAfter);
      this.identityServerTls = Pki.serverContext(serverKeys.getPrivate(), identityCertificate, identityCa);
      this.mailServerTls = Pki.serverContext(mailKeys.getPrivate(), mailCertificate, mailCa);
      this.identityTrustStore = Pki.trustStore(identityCa);
      this.mailTrustStore = Pki.trustStore(mailCa);
      this.trustStore = Pki.trustStore(identityCa, mailCa);
    } else {
      this.identityCertificate = Pki.serverCertificate(serverKeys, notBefore, notAfter);
      this.mailCertificate = identityCertificate;
      this.identityServerTls = Pki.serverContext(serverKeys.getPrivate(), identityCertificate);
      this.mailServerTls = identityServerTls;
      this.trustStore = Pki.trustStore(identityCertificate);
      this.identityTrustStore = trustStore;
      this.mailTrustStore = trustStore;
    }
    this.clientTls = Pki.clientContext(trustStore);
    this.directory = new Directory(clock, faults, mailStore);
    this.tokens = new TokenService(signingKeys);
    this.exchangeAccess = new ExchangeAccess(directory, tokens);
    this.delivery = new Delivery(directory);
    List<AutoCloseable> started = new ArrayList<>();
    try {
      this.identity = new IdentityServer(this, builder.identityPort);
      started.add(identity);
      this.graph = new GraphServer(this, builder.graphPort);
      started.add(graph);
      this.imap = new ImapFront(this, builder.imapPort);
      started.add(imap);
      this.smtp = new SmtpServer(this, builder.smtpPort);
      started.add(smtp);
    } catch (RuntimeException e) {
      for (AutoCloseable c : started) {
        closeQuietly(c);
      }
      mailStore.close();
      throw e;
    }
    this.startedAt = clock.instant();
    this.startupTime = Duration.ofNanos(System.nanoTime() - begin);
  }

  /** Starts a local tenant with default settings (seed 1, host name {@code localhost}, ephemeral ports). */
  public static LocalTenant start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  // ----- the directory -----

  /** A new tenant (Entra ID directory with its Exchange organization) with a random id. */
  public Tenant createTenant(String primaryDomain) {
    return directory.createTenant(primaryDomain, null);
  }

  /** A new tenant with the given id (a GUID). */
  public Tenant createTenant(String primaryDomain, String tenantId) {
    return directory.createTenant(primaryDomain, tenantId);
  }

  /**
   * The well-known tenant id of personal Microsoft accounts (outlook.com, hotmail.com, live.com): the {@code tid} of
   * their id tokens and the {@code utid} of their client info.
   */
  public static final String CONSUMERS_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad";

  /**
   * The consumers tenant, created on first use with the domains outlook.com, hotmail.com and live.com. Users added
   * to it ({@link Tenant#addUser}) are personal Microsoft accounts with an Outlook.com mailbox: they sign in through
   * {@code /consumers} or {@code /common} to apps whose supported account types include personal accounts, consent
   * for themselves, and get access tokens that are not JWTs (see CONTRACT.md, "Personal Microsoft accounts").
   */
  public synchronized Tenant consumers() {
    return directory.tenant(CONSUMERS_TENANT_ID).orElseGet(() -> {
      Tenant t = directory.createTenant("outlook.com", CONSUMERS_TENANT_ID);
      t.addDomain("hotmail.com");
      t.addDomain("live.com");
      return t;
    });
  }

  /** The tenant named by its id or one of its domains. */
  public Tenant tenant(String idOrDomain) {
    return directory
        .tenant(idOrDomain)
        .orElseThrow(() -> new IllegalArgumentException("no tenant " + idOrDomain));
  }

  public Collection<Tenant> tenants() {
    return directory.tenants();
  }

  /** A mailbox of any tenant by address. */
  public Mailbox mailbox(String address) {
    return directory.mailbox(address).orElseThrow(() -> new IllegalArgumentException("no mailbox " + address));
  }

  // ----- endpoints -----

  /** {@code https://localhost:PORT}: the authority host to use instead of {@code https://login.microsoftonline.com}. */
  public URI authorityHost() {
    return URI.create("https://" + hostName + ":" + identity.port());
  }

  /** {@code https://localhost:PORT/<tenant>/}: an authority for a tenant id, domain, or organizations/common/consumers. */
  public String authority(String tenant) {
    return authorityHost() + "/" + tenant + "/";
  }

  public String authority(Tenant tenant) {
    return authority(tenant.id());
  }

  /** The token endpoint of a tenant. */
  public URI tokenEndpoint(String tenant) {
    return URI.create(authorityHost() + "/" + tenant + "/oauth2/v2.0/token");
  }

  /** {@code https://localhost:PORT/v1.0}: the Graph base URL to use instead of {@code https://graph.microsoft.com/v1.0}. */
  public String graphBaseUrl() {
    return "https://" + hostName + ":" + graph.port() + "/v1.0";
  }

  /** The host name every endpoint is reached by (its certificate names localhost, 127.0.0.1 and ::1). */
  public String hostName() {
    return hostName;
  }

  /** IMAP with implicit TLS (Exchange: outlook.office365.com:993). */
  public int imapPort() {
    return imap.port();
  }

  /** SMTP submission with STARTTLS (Exchange: smtp.office365.com:587). */
  public int smtpPort() {
    return smtp.port();
  }

  public int identityPort() {
    return identity.port();
  }

  public int graphPort() {
    return graph.port();
  }

  // ----- trust -----

  /**
   * The self-signed certificate every endpoint presents.
   *
   * @throws IllegalStateException when started with {@link Builder#twoCertificateAuthorities()}, where the
   *     endpoints present different certificates: use {@link #identityCertificate()} or {@link #mailCertificate()}
   */
  public X509Certificate certificate() {
    if (twoAuthorities) {
      throw new IllegalStateException("this tenant has two certificate authorities: use identityCertificate() or"
          + " mailCertificate()");
    }
    return identityCertificate;
  }

  /** The certificate the identity endpoint presents ({@link #certificate()} unless there are two CAs). */
  public X509Certificate identityCertificate() {
    return identityCertificate;
  }

  /** The certificate Graph, IMAP and SMTP present ({@link #certificate()} unless there are two CAs). */
  public X509Certificate mailCertificate() {
    return mailCertificate;
  }

  /**
   * A client SSLContext that trusts exactly this tenant's certificate (both CAs with {@link
   * Builder#twoCertificateAuthorities()}), hostname checks left to the client.
   */
  public SSLContext sslContext() {
    return clientTls;
  }

  /**
   * A PKCS#12 trust store holding only this tenant's certificate, or with {@link
   * Builder#twoCertificateAuthorities()} both CAs.
   */
  public KeyStore trustStore() {
    return trustStore;
  }

  /**
   * A trust store holding only what the identity endpoint's certificate is checked against: its CA with {@link
   * Builder#twoCertificateAuthorities()}, else the same as {@link #trustStore()}.
   */
  public KeyStore identityTrustStore() {
    return identityTrustStore;
  }

  /**
   * A trust store holding only what Graph's, IMAP's and SMTP's certificate is checked against: their CA with
   * {@link Builder#twoCertificateAuthorities()}, else the same as {@link #trustStore()}.
   */
  public KeyStore mailTrustStore() {
    return mailTrustStore;
  }

  /** Writes {@link #trustStore()} to a PKCS#12 file, for tools configured by file. */
  public Path writeTrustStore(Path file, char[] password) {
    Pki.writeTrustStore(file, trustStore, password);
    return file;
  }

  // ----- time, faults, traffic -----

  public TestClock clock() {
    return clock;
  }

  public Faults faults() {
    return faults;
  }

  /** Pending and finished device-code sign-ins, to approve or decline as the user would on the device login page. */
  public DeviceCodes deviceCodes() {
    return identity.deviceCodes();
  }

  /** Messages sent over SMTP or Graph to recipients outside the local tenant, oldest first. */
  public List<OutboundMessage> outboundMail() {
    return delivery.outbound();
  }

  /**
   * Plays the user's browser for an interactive sign-in: opens {@code authorizeUrl} (what an app's browser
   * launcher receives), signs in as {@code user} accepting the consent prompt, and delivers the code to the
   * app's redirect URI, by redirect or {@code form_post} as the request asked. Runs in the background; the
   * returned future completes with the HTTP status the app's redirect listener answered.
   */
  public java.util.concurrent.CompletableFuture<Integer> signInInBrowser(URI authorizeUrl, String user, String password) {
    return new UserBrowser(this).signIn(authorizeUrl, user, password, true);
  }

  /**
   * Plays a user who signs in but declines the consent prompt (Cancel): an app whose permissions nobody has
   * consented to gets {@code error=access_denied} with AADSTS65004 at its redirect URI, as Entra ID sends it.
   */
  public java.util.concurrent.CompletableFuture<Integer> declineInBrowser(URI authorizeUrl, String user, String password) {
    return new UserBrowser(this).signIn(authorizeUrl, user, password, false);
  }

  /** Every request answered so far (at most the last 200,000), oldest first. */
  public List<RecordedRequest> requests() {
    return List.copyOf(recorded);
  }

  /**
   * The recorded requests of one service: {@code identity}, {@code graph}, {@code imap} (login attempts) or {@code
   * smtp}; {@code imap-logout} has the LOGOUT of each logged-in IMAP session that said goodbye.
   */
  public List<RecordedRequest> requests(String service) {
    return recorded.stream().filter(r -> r.service().equals(service)).toList();
  }

  public long count(Predicate<RecordedRequest> filter) {
    return recorded.stream().filter(filter).count();
  }

  /** Token requests seen by the identity endpoint (successful or not). */
  public long tokenRequestCount() {
    return count(r -> r.service().equals("identity") && r.path().endsWith("/oauth2/v2.0/token"));
  }

  public void clearRequests() {
    recorded.clear();
    recordedCount.set(0);
  }

  /**
   * Every IMAP and SMTP command received so far (at most the last 10,000, see {@link #droppedCommands()}), oldest
   * first, credentials redacted and message bodies left out ({@link RecordedCommand}).
   */
  public List<RecordedCommand> commands() {
    return commands.all();
  }

  /** The recorded IMAP commands, oldest first, of every session (before and after login). */
  public List<RecordedCommand> imapCommands() {
    return commands.of(RecordedCommand.Protocol.IMAP);
  }

  /** The recorded SMTP commands, oldest first, of every session. */
  public List<RecordedCommand> smtpCommands() {
    return commands.of(RecordedCommand.Protocol.SMTP);
  }

  /** How many commands were dropped from the front of {@link #commands()} to keep it bounded since the last clear. */
  public long droppedCommands() {
    return commands.dropped();
  }

  /**
   * Who touched which mailbox and when, across Graph, IMAP and SMTP, since the start or the last {@link
   * #clearRecorded()}: overlaps of two clients on one mailbox, each change of the client touching a mailbox, and the
   * mailboxes of each client ({@link MailboxAccess} says what counts as touching). A snapshot; recording it costs a
   * map lookup and a per-mailbox monitor per request or session, no lock shared between mailboxes.
   */
  public MailboxAccess mailboxAccess() {
    return mailboxAccess.snapshot();
  }

  /**
   * Clears the recorded requests and commands and the {@link #mailboxAccess()} record ({@link #clearRequests()}
   * clears only the requests). Activity in flight stays in flight.
   */
  public void clearRecorded() {
    clearRequests();
    commands.clear();
    mailboxAccess.clear();
  }

  /**
   * Sets the faults back to how this tenant started: {@link Faults#reset()}, then the builder's {@link
   * Builder#contract()} (drawn again from the seed's stream), request and upload windows.
   */
  void resetFaultsToStart() {
    faults.reset();
    applyStartingFaults();
  }

  private void applyStartingFaults() {
    if (contract) {
      faults.contract();
    }
    if (requestWindow != null) {
      faults.graphRequestWindow(requestWindowRequests, requestWindow);
    }
    if (uploadWindow != null) {
      faults.graphUploadWindow(uploadWindowBytes, uploadWindow);
    }
  }

  /** How long {@link #start()} took, measured inside the constructor. */
  public Duration startupTime() {
    return startupTime;
  }

  Instant startedAt() {
    return startedAt;
  }

  // ----- for the servers -----

  void record(RecordedRequest request) {
    recorded.addLast(request);
    if (recordedCount.incrementAndGet() > MAX_RECORDED) {
      recorded.pollFirst();
      recordedCount.decrementAndGet();
    }
  }

  void record(RecordedCommand command) {
    commands.add(command);
  }

  /** {@code client} (an app id) begins touching {@code mailbox}; the caller ends the activity. */
  MailboxAccessLog.Activity beginMailboxAccess(String mailbox, String client) {
    return mailboxAccess.begin(mailbox, client);
  }

  Directory directory() {
    return directory;
  }

  TokenService tokens() {
    return tokens;
  }

  /** What Graph, IMAP and SMTP serve. */
  SSLContext serverTls() {
    return mailServerTls;
  }

  /** What the identity endpoint serves. */
  SSLContext identityServerTls() {
    return identityServerTls;
  }

  MailStore mailStore() {
    return mailStore;
  }

  ExchangeAccess exchangeAccess() {
    return exchangeAccess;
  }

  Delivery delivery() {
    return delivery;
  }

  /** Stops every server. */
  @Override
  public void close() {
    closeQuietly(smtp);
    closeQuietly(imap);
    closeQuietly(graph);
    closeQuietly(identity);
    mailStore.close();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing a server that failed half-way is best effort
    }
  }

  @Override
  public String toString() {
    return "LocalTenant[identity=" + authorityHost() + ", graph=" + graphBaseUrl() + ", imap=" + hostName + ":"
        + imapPort() + ", smtp=" + hostName + ":" + smtpPort() + "]";
  }

  // ----- Graph traffic -----

  /**
   * The highest number of Graph requests that were in flight at once on {@code mailbox} (any app; each {@code
   * $batch} item counts as a request; requests refused with 429 are not counted). 0 when none reached it.
   */
  public int graphPeakConcurrency(String mailbox) {
    return graph.peakConcurrency(mailbox);
  }

  /** How many Graph requests were refused with 429 because the app was over its per-mailbox concurrency limit. */
  public long graphConcurrencyRejections() {
    return graph.concurrencyRejections();
  }

  /**
   * How many Graph requests (each {@code $batch} item counted) were refused with 429 because their app was over its
   * request window on the mailbox ({@link Faults#graphRequestWindow(int, Duration)}).
   */
  public long graphWindowRejections() {
    return graph.windowRejections();
  }

  /** How many Graph uploads were refused with 429 because their app was over its upload window on the mailbox. */
  public long graphUploadRejections() {
    return graph.uploadRejections();
  }

  /**
   * Messages deleted through Graph ({@code DELETE .../messages/{id}}, a soft delete into Recoverable Items) from
   * {@code mailbox}, oldest first, as they were just before deletion; {@code permanentDelete} does not put
   * messages here.
   */
  public List<StoredMail> recoverableItems(String mailbox) {
    return graph.recoverableItems(mailbox);
  }

  /** Settings of a local tenant. */
  public static final class Builder {
    private long seed = 1;
    private String hostName = "localhost";
    private int identityPort;
    private int graphPort;
    private int imapPort;
    private int smtpPort;
    private boolean contract;
    private int requestWindowRequests;
    private Duration requestWindow;
    private long uploadWindowBytes;
    private Duration uploadWindow;
    private boolean twoAuthorities;

    private Builder() {}

    /**
     * Issues the identity endpoint's certificate from one private CA and Graph's, IMAP's and SMTP's from another
     * (default: one self-signed certificate for all), so a client must trust each side's CA: {@link
     * #identityTrustStore()}, {@link #mailTrustStore()}, or both in {@link #trustStore()}.
     */
    public Builder twoCertificateAuthorities() {
      this.twoAuthorities = true;
      return this;
    }

    /**
     * Starts in contract mode ({@link Faults#contract()}): the tenant uses the latitude Microsoft's documentation
     * leaves (order and repetition of delta answers, and the other behaviours listed there), drawn from the seed.
     */
    public Builder contract() {
      this.contract = true;
      return this;
    }

    /**
     * The request window of every app on every mailbox from the start (default Exchange's 10,000 per 10 minutes);
     * the same as {@link Faults#graphRequestWindow(int, Duration)}, which {@link Faults#reset()} sets back to the
     * default.
     */
    public Builder graphRequestWindow(int requests, Duration window) {
      new Faults(0, new TestClock()).graphRequestWindow(requests, window); // checks the values now
      this.requestWindowRequests = requests;
      this.requestWindow = window;
      return this;
    }

    /**
     * The upload window of every app on every mailbox from the start (default 150 MB per 5 minutes); the same as
     * {@link Faults#graphUploadWindow(long, Duration)}, which {@link Faults#reset()} sets back to the default.
     */
    public Builder graphUploadWindow(long bytes, Duration window) {
      new Faults(0, new TestClock()).graphUploadWindow(bytes, window); // checks the values now
      this.uploadWindowBytes = bytes;
      this.uploadWindow = window;
      return this;
    }

    /** Seed of the fault knobs' random draws (default 1). */
    public Builder seed(long value) {
      this.seed = value;
      return this;
    }

    /**
     * The name clients use for the endpoints: {@code localhost} (default) or {@code 127.0.0.1}. Token issuers
     * follow it, so one name must be used throughout.
     */
    public Builder hostName(String name) {
      Objects.requireNonNull(name, "name");
      if (!name.equals("localhost") && !name.equals("127.0.0.1")) {
        throw new IllegalArgumentException("hostName must be localhost or 127.0.0.1, was " + name);
      }
      this.hostName = name;
      return this;
    }

    /** Fixed port for the identity endpoint (0, the default, picks a free one). */
    public Builder identityPort(int port) {
      this.identityPort = port(port);
      return this;
    }

    public Builder graphPort(int port) {
      this.graphPort = port(port);
      return this;
    }

    public Builder imapPort(int port) {
      this.imapPort = port(port);
      return this;
    }

    public Builder smtpPort(int port) {
      this.smtpPort = port(port);
      return this;
    }

    private static int port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 to 65535, was " + port);
      }
      return port;
    }

    /** Starts the servers; up when this returns. */
    public LocalTenant start() {
      return new LocalTenant(this);
    }
  }

  /**
   * IMAP on a plain port that advertises {@code STARTTLS} and {@code LOGINDISABLED} and refuses to
   * authenticate until the client has upgraded (Exchange: outlook.office365.com:143). Always ephemeral.
   */
  public int imapStartTlsPort() {
    return imap.startTlsPort();
  }
}
