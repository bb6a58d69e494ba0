package org.o365mail.imap;

import static java.util.Objects.requireNonNull;

import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.ssl.SSLContext;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.EmailAddress;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.OutgoingMessage;
import org.o365mail.ProxySettings;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenClaims;
import org.o365mail.auth.TokenPreflight;
import org.o365mail.auth.TokenRequest;
import org.o365mail.imap.internal.Claims;
import org.o365mail.imap.internal.DefaultThreads;
import org.o365mail.imap.internal.ExchangeDiagnoses;
import org.o365mail.imap.internal.ExchangeLogins;
import org.o365mail.imap.internal.ImapEndpoint;
import org.o365mail.imap.internal.Pii;
import org.o365mail.imap.internal.ServerReadGuard;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends mail through Exchange Online's SMTP submission ({@code smtp.office365.com:587} in the global cloud) with
 * STARTTLS, which is required, and SASL XOAUTH2, which is the only authentication it ever uses: a delegated token
 * with {@code SMTP.Send} or an app-only token with {@code SMTP.SendAsApp}. Usable on its own by products that only
 * send notifications; {@link ImapMailboxConnector#send} uses it too.
 *
 * <p>The sender logs in as {@link #mailbox()} ({@code user=} of XOAUTH2) and submits with that mailbox as the
 * envelope sender, or with {@link OutgoingMessage#from()} when set (which needs Send As on that address).
 * Attachments are streamed from {@link org.o365mail.OutgoingAttachment#open()} while the message is written, so
 * their size does not matter to memory. Exchange Online keeps a copy of what is submitted over SMTP in Sent Items
 * whatever {@link OutgoingMessage#saveToSentItems()} says.
 *
 * <p>Failures: {@code 535 5.7.3} is diagnosed as the Exchange service principal or mailbox permission (app-only)
 * or the user's permission on the mailbox (delegated), {@code 535 5.7.139} as SMTP AUTH disabled for the tenant or
 * the mailbox, SendAsDenied ({@code 554 5.2.252}, or {@code 554 5.2.0 ...SendAsDeniedException}) as a missing Send As
 * permission ({@link SetupStep#SEND_AS_PERMISSION}), and a message over the mailbox's MaxSendSize ({@code 552 5.3.4}, or
 * {@code 554 5.2.0 ...MaxSubmissionExceeded}) as {@link SetupStep#MAX_SEND_SIZE}, each with the PowerShell that fixes
 * it.
 *
 * <p>Each read waits at most {@link Builder#timeout}, and a reply that has started must then keep coming at 1 KiB/s;
 * a reply line is at most 64 KiB and a reply 1 MiB. A server past a bound, or silent for a timeout, fails the call
 * with a {@link org.o365mail.MailboxException} naming it and the bound.
 *
 * <p>Immutable and thread-safe; each {@link #send} uses a connection of its own.
 *
 * <pre>{@code
 * SmtpSender notifications = SmtpSender.builder()
 *     .mailbox("alerts@contoso.com")
 *     .credential(credential)
 *     .build();
 * notifications.send(OutgoingMessage.builder().to("ops@contoso.com").subject("Import done").text("12 files").build());
 * }</pre>
 */
public final class SmtpSender {
  private static final Logger logger = LoggerFactory.getLogger(SmtpSender.class);
  private static final TokenRequest SMTP = TokenRequest.smtp();

  private final String mailbox;
  private final CredentialStrategy credential;
  private final ImapEndpoint endpoint;
  private final boolean logPii;
  private final String label;
  private final ExchangeLogins logins;

  private SmtpSender(Builder b) {
    this.mailbox = b.mailbox;
    this.credential = b.credential;
    this.logPii = b.logPii;
    this.label = Pii.mailbox(b.mailbox, b.logPii);
    this.logins = (b.sessions != null ? b.sessions : ExchangeSessions.builder().build()).logins();
    SSLContext trust = b.trust != null ? b.trust : b.credential.registration().trust().orElse(null);
    ProxySettings proxy = b.proxy != null ? b.proxy : b.credential.registration().proxy();
    this.endpoint = new ImapEndpoint(b.host != null ? b.host : b.credential.registration().cloud().smtpHost(),
        b.port, ImapEndpoint.Security.STARTTLS, trust == null ? null : trust.getSocketFactory(), b.timeout,
        b.timeout, b.executor != null ? b.executor : DefaultThreads.watchdog(), proxy);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The mailbox this sender logs in as. */
  public String mailbox() {
    return mailbox;
  }

  /**
   * Submits {@code message}.
   *
   * @throws MailboxAuthenticationException if no token could be obtained, the pre-flight failed, or Exchange
   *     refused the login or the sender address (with the setup step and the PowerShell to fix it)
   * @throws MailboxException for network, TLS and other server failures
   */
  public void send(OutgoingMessage message) {
    requireNonNull(message, "message");
    EmailAddress from = message.from().orElse(EmailAddress.of(mailbox));
    long start = System.nanoTime();
    withTransport("send", from, (session, transport) -> {
      MimeMessage mime = SmtpMessages.build(session, message, from);
      InternetAddress[] recipients = SmtpMessages.recipients(message);
      transport.sendMessage(mime, recipients);
      return null;
    });
    logger.debug("smtp {}: message with {} recipient(s) and {} attachment(s), {} attachment bytes, submitted ({} ms)",
        label, message.allRecipients().size(), message.attachments().size(), message.attachmentBytes(),
        (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * The doctor's SMTP check: gets a token and runs the pre-flight (a missing {@code SMTP.SendAsApp} or {@code
   * SMTP.Send} is named before any connection), then connects and says EHLO, STARTTLS, EHLO, {@code AUTH XOAUTH2} and
   * QUIT; no message is sent. Reports what failed with its diagnosis instead of throwing: {@code 535 5.7.139} as SMTP
   * AUTH disabled for the tenant ({@code Set-TransportConfig -SmtpClientAuthenticationDisabled $false}) or the mailbox
   * ({@code Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false}), {@code 535 5.7.3} as the
   * Exchange service principal, FullAccess or the address (app-only, in the order this app's other logins suggest),
   * a server without STARTTLS or XOAUTH2 as unsafe, and network and TLS failures as such.
   */
  public ConnectionCheck checkConnection() {
    long start = System.nanoTime();
    try {
      withTransport("check", EmailAddress.of(mailbox), (session, transport) -> null);
      return ConnectionCheck.ok("SMTP submission as " + mailbox + " at " + endpoint.host() + ":" + endpoint.port()
          + " (" + (credential.kind() == CredentialKind.APP_ONLY ? "app-only" : "delegated") + ")",
          Duration.ofNanos(System.nanoTime() - start));
    } catch (MailboxException e) {
      Diagnosis d = e.diagnosis().orElseGet(() -> Diagnosis.builder(SetupStep.UNKNOWN, e.getClass().getSimpleName())
          .summary(String.valueOf(e.getMessage())).fix("See the cause").build());
      return ConnectionCheck.failed(d, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @FunctionalInterface
  private interface TransportWork<T> {
    T run(Session session, Transport transport) throws MessagingException;
  }

  private <T> T withTransport(String what, EmailAddress from, TransportWork<T> work) {
    boolean retried = false;
    while (true) {
      AccessToken token = credential.token(SMTP);
      TokenPreflight.verify(token, TokenPreflight.Requirement.smtp(), credential.registration());
      Optional<TokenClaims> claims = Claims.of(token);
      Session session = Session.getInstance(properties(from));
      Transport transport = null;
      try {
        transport = session.getTransport("smtp");
        transport.connect(endpoint.host(), endpoint.port(), mailbox, token.value());
        if (credential.kind() == CredentialKind.APP_ONLY && claims.isPresent()) {
          logins.succeeded(claims.get().tenantId(), credential.registration().clientId(),
              claims.get().objectId(), mailbox);
        }
        return work.run(session, transport);
      } catch (AuthenticationFailedException e) {
        unanswered(e);
        String text = text(e);
        ExchangeDiagnoses.Login login = login(claims);
        if (text.contains("5.7.139")) {
          throw new MailboxAuthenticationException(ExchangeDiagnoses.smtpAuthDisabled(login, text), e);
        }
        if (text.startsWith("No authentication mechanisms")) {
          Diagnosis d = ExchangeDiagnoses.unsafeServer(endpoint,
              "the server does not offer AUTH XOAUTH2; the token is never sent with PLAIN or LOGIN");
          throw new MailboxException(d.describe(), d, e);
        }
        if (!retried) {
          // a token revoked or expired by the server's clock gets one more try with a fresh one
          retried = true;
          credential.invalidate(SMTP);
          logger.debug("smtp {}: login refused ({}); trying once more with a new token", label, code(text));
          continue;
        }
        ExchangeDiagnoses.Evidence known = claims.map(c -> logins.evidence(c.tenantId(), login.clientId(),
            c.objectId(), mailbox))
            .orElse(ExchangeDiagnoses.Evidence.NONE);
        throw new MailboxAuthenticationException(
            ExchangeDiagnoses.authenticateFailed(login, "SMTP " + code(text), known), e);
      } catch (SendFailedException e) {
        unanswered(e);
        String text = text(e);
        if (text.contains("SendAsDenied")) {
          throw new MailboxAuthenticationException(
              ExchangeDiagnoses.sendAsDenied(login(claims), from.address(), text), e);
        }
        if (ExchangeDiagnoses.isOverMaxSendSize(text)) {
          Diagnosis d = ExchangeDiagnoses.overMaxSendSize(login(claims), text);
          throw new MailboxException(d.describe(), d, e);
        }
        Diagnosis d = Diagnosis.builder(SetupStep.UNKNOWN, "SMTP " + code(text))
            .summary("Exchange Online refused the message from " + from.address() + ": " + text)
            .fix("Check the recipients and the message size (at most 150 MB)")
            .build();
        throw new MailboxException(d.describe(), d, e);
      } catch (MessagingException e) {
        unanswered(e);
        String text = text(e);
        if (text.startsWith("STARTTLS is required")) {
          Diagnosis d = ExchangeDiagnoses.unsafeServer(endpoint,
              "the server does not offer STARTTLS; the token is not sent over a plain connection");
          throw new MailboxException(d.describe(), d, e);
        }
        Throwable io = e.getNextException() != null ? e.getNextException() : e.getCause();
        Diagnosis d = io != null ? ExchangeDiagnoses.transport(endpoint, io, true)
            : Diagnosis.builder(SetupStep.UNKNOWN, "SMTP " + code(text))
                .summary("SMTP " + what + " for " + from.address() + " failed: " + text)
                .fix("See the server's answer").build();
        throw new MailboxException(d.describe(), d, e);
      } finally {
        close(transport);
      }
    }
  }

  /**
   * Throws at once when the server stopped answering or answered past a limit (an endless reply line, a reply of
   * thousands of lines): trying again would wait as long again.
   */
  private void unanswered(MessagingException e) {
    Diagnosis d = ExchangeDiagnoses.unanswered(endpoint, e);
    if (d != null) {
      throw new MailboxException(d.describe(), d, e);
    }
  }

  private Properties properties(EmailAddress from) {
    // each connection's replies are read through limits of size and time (lines, whole replies, a minimum rate)
    Properties props = endpoint.socketProperties("smtp", endpoint.budget(ServerReadGuard.Framing.SMTP));
    props.put("mail.smtp.auth", "true");
    // XOAUTH2 and nothing else; Angus has no fallback to LOGIN on SMTP once the list is given
    props.put("mail.smtp.auth.mechanisms", "XOAUTH2");
    props.put("mail.smtp.auth.login.disable", "true");
    props.put("mail.smtp.auth.plain.disable", "true");
    props.put("mail.smtp.auth.digest-md5.disable", "true");
    props.put("mail.smtp.auth.ntlm.disable", "true");
    props.put("mail.smtp.sasl.enable", "false");
    props.put("mail.smtp.starttls.enable", "true");
    props.put("mail.smtp.starttls.required", "true");
    props.put("mail.smtp.from", from.address());
    // the EHLO name; set so that no local host name is looked up
    props.put("mail.smtp.localhost", "localhost");
    return props;
  }

  private ExchangeDiagnoses.Login login(Optional<TokenClaims> claims) {
    return new ExchangeDiagnoses.Login("SMTP", mailbox, credential.kind(), credential.registration().clientId(), claims,
        credential.username());
  }

  private static String text(MessagingException e) {
    String m = e.getMessage();
    return m == null ? "" : m.strip();
  }

  /** {@code 535 5.7.3} from a server answer. */
  private static String code(String text) {
    String[] words = text.split("\\s+", 3);
    if (words.length >= 2 && words[0].matches("\\d{3}") && words[1].matches("\\d\\.\\d{1,3}\\.\\d{1,3}")) {
      return words[0] + " " + words[1];
    }
    return words.length > 0 && words[0].matches("\\d{3}") ? words[0] : "failure";
  }

  private static void close(Transport transport) {
    if (transport == null) {
      return;
    }
    try {
      transport.close();
    } catch (MessagingException | RuntimeException e) {
      // the connection is going away anyway
    }
  }

  @Override
  public String toString() {
    return "SmtpSender[" + Pii.mailbox(mailbox, logPii) + " at " + endpoint + "]";
  }

  /** Builds an {@link SmtpSender}; {@link #build()} needs {@link #mailbox} and {@link #credential}. */
  public static final class Builder {
    private String mailbox;
    private CredentialStrategy credential;
    private String host;
    private int port = 587;
    private SSLContext trust;
    private ProxySettings proxy;
    private Duration timeout = Duration.ofSeconds(60);
    private boolean logPii;
    private ExchangeSessions sessions;
    private ScheduledExecutorService executor;

    private Builder() {}

    /** The mailbox to log in as and, by default, to send from, such as {@code alerts@contoso.com}. */
    public Builder mailbox(String address) {
      this.mailbox = EmailAddress.of(requireNonNull(address, "mailbox")).address().toLowerCase(Locale.ROOT);
      return this;
    }

    /** Where tokens come from; app-only needs {@code SMTP.SendAsApp}, delegated {@code SMTP.Send}. */
    public Builder credential(CredentialStrategy value) {
      this.credential = requireNonNull(value, "credential");
      return this;
    }

    /** SMTP host (default: the credential's cloud, {@code smtp.office365.com} in the global cloud). */
    public Builder host(String value) {
      this.host = Arguments.notBlank(value, "host");
      return this;
    }

    /** SMTP submission port (default 587); STARTTLS is always required. */
    public Builder port(int value) {
      this.port = Arguments.port(value, "port");
      return this;
    }

    /**
     * How the SMTP server is reached, default the credential's {@code registration().proxy()} (whose default is the
     * JVM's settings): an HTTP proxy through a {@code CONNECT} tunnel, or a SOCKS5 proxy. See {@link ProxySettings}.
     */
    public Builder proxy(ProxySettings value) {
      this.proxy = requireNonNull(value, "proxy");
      return this;
    }

    /** TLS trust instead of the credential's {@code AppRegistration.trust()} or the JVM's; host names are still checked. */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /** Connect and read timeout (default 60 s); a reply that has started must then keep coming at 1 KiB/s. */
    public Builder timeout(Duration value) {
      this.timeout = Arguments.positive(value, "timeout");
      return this;
    }

    /** Whether log lines may show mailbox addresses (default false: {@code a***@contoso.com}). */
    public Builder logPii(boolean value) {
      this.logPii = value;
      return this;
    }

    /**
     * What this sender learns from Exchange Online and shares with the connectors and senders given the same object
     * (default: one of its own). See {@link ExchangeSessions}.
     */
    public Builder sessions(ExchangeSessions value) {
      this.sessions = requireNonNull(value, "sessions");
      return this;
    }

    /**
     * Where the deadlines of writes are timed, short tasks that never block (default: the adapter's own daemon thread
     * {@code o365mail-imap-watchdog-N}). Sends run on the caller's threads, not here. Never shut down by the sender.
     */
    public Builder executor(ScheduledExecutorService value) {
      this.executor = requireNonNull(value, "executor");
      return this;
    }

    public SmtpSender build() {
      if (mailbox == null || credential == null) {
        throw new IllegalStateException("missing required setting(s):" + (mailbox == null ? " mailbox()" : "")
            + (credential == null ? " credential()" : ""));
      }
      return new SmtpSender(this);
    }
  }
}
