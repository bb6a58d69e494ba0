package org.o365mail.testkit;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SMTP submission connection, answered the way {@code smtp.office365.com:587} answers: EHLO with SIZE,
 * PIPELINING, DSN, ENHANCEDSTATUSCODES, STARTTLS before TLS and {@code AUTH LOGIN XOAUTH2} after it; AUTH only
 * after STARTTLS; XOAUTH2 decided by {@link ExchangeAccess} with {@code SMTP.SendAsApp} / {@code SMTP.Send};
 * basic authentication refused ({@code 535 5.7.139}); {@code SmtpClientAuthenticationDisabled} honoured for
 * the tenant and the mailbox, the mailbox's own setting first (learn.microsoft.com/en-us/exchange/
 * clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission), answered to an XOAUTH2 login with
 * {@code 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit
 * https://aka.ms/smtp_auth_disabled for more information.} (simonrob/email-oauth2-proxy#193, an OAuth client;
 * nodemailer/nodemailer#1484) or {@code ... for the Mailbox.} (Patch My PC's "SMTP Authentication for Exchange
 * Online"); MAIL only after AUTH; DATA read with dot-unstuffing into a temporary file, up to 150 MB
 * (the SIZE advertised; larger is {@code 552 5.3.4}).
 *
 * <p>After DATA, as Exchange Online's submission does:
 *
 * <ul>
 *   <li>an envelope sender other than the authenticated mailbox needs Send As on that address ({@link
 *       Tenant#addRecipientPermission}) for the mailbox's owner, the shared mailbox itself, or the identity that
 *       signed in (the user, or for app-only tokens the Exchange service principal, as public SMTP setup guides grant
 *       it; Microsoft's pages are silent on app-only Send As over SMTP). Without it the answer is SendAsDenied, in one
 *       of the two forms public transcripts show, chosen by the tenant's seeded generator: {@code 554 5.2.252
 *       SendAsDenied; <mailbox> not allowed to send as <from>; STOREDRV.Submission.Exception:SendAsDeniedException...}
 *       (gophish/gophish#2900) or {@code 554 5.2.0
 *       STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due
 *       to a permanent exception with message Cannot submit message.} (MicrosoftDocs/OfficeDocs-Support#1187,
 *       FusionAuth/fusionauth-issues#220);
 *   <li>a message larger than the mailbox's {@link Mailbox#maxSendSize()} (35 MB by default) is refused, in one of
 *       two forms chosen the same way: {@code 552 5.3.4 Message size exceeds fixed maximum message size} (a JavaMail
 *       trace against smtp.office365.com:587, industrialmonitordirect.com/es/blogs/knowledgebase/
 *       resolving-ignition-552-534-email-attachment-size-limit-errors) or {@code 554 5.2.0
 *       STOREDRV.Submission.Exception:MessageSubmissionExceededException.MapiExceptionMaxSubmissionExceeded; ...}
 *       (pankleks/pm2-health#52, whose transcript leaves out the reply code: 554 5.2.0 is the code of the other
 *       STOREDRV.Submission refusals; Microsoft's pages do not list it).
 * </ul>
 *
 * <p>Commands may be pipelined; answers are flushed when no further command is waiting. Not thread-safe: run
 * by one thread.
 */
final class SmtpSession implements Runnable {
  private static final Logger logger = LoggerFactory.getLogger(SmtpSession.class);
  private static final AtomicLong IDS = new AtomicLong();
  private static final DateTimeFormatter RFC_5322 =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

  private static final int BUFFER = 64 * 1024;
  /** Longest command line; XOAUTH2 responses run to a few kilobytes. */
  private static final int MAX_COMMAND = 64 * 1024;
  /** Longest line inside DATA (binary-ish content can have long lines). */
  private static final int MAX_DATA_LINE = 16 * 1024 * 1024;
  private static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;
  private static final String USERNAME_PROMPT = "334 VXNlcm5hbWU6";
  private static final String PASSWORD_PROMPT = "334 UGFzc3dvcmQ6";

  private final long id = IDS.incrementAndGet();
  private final SmtpServer server;
  private final LocalTenant tenant;
  private final Socket raw;
  private final String host = ExchangeHosts.serverName();
  private final AtomicBoolean closed = new AtomicBoolean();

  private LineInput in;
  private OutputStream out;
  private boolean tls;
  private boolean greeted;
  private String authenticated;
  private Mailbox authenticatedMailbox;
  private String identityObjectId = "";
  private String appId = "";
  /** The authenticated session's activity on its mailbox, ended at QUIT or close; null before AUTH. */
  private volatile MailboxAccessLog.Activity mailboxAccess;
  private String sender;
  private final List<String> recipients = new ArrayList<>();

  SmtpSession(SmtpServer server, Socket raw) {
    this.server = server;
    this.tenant = server.tenant();
    this.raw = raw;
  }

  @Override
  public void run() {
    try {
      raw.setTcpNoDelay(true);
      bind(raw);
      reply("220 " + host + " Microsoft ESMTP MAIL Service ready at " + RFC_5322.format(tenant.clock().instant()));
      while (!closed.get()) {
        int n = in.readLine(MAX_COMMAND);
        if (n < 0) {
          return;
        }
        if (!command(in.lineText())) {
          return;
        }
      }
    } catch (LineInput.LineTooLongException e) {
      tryReply("500 5.3.3 Line too long");
    } catch (IOException e) {
      logger.debug("smtp#{}: connection ended: {}", id, e.toString());
    } catch (RuntimeException e) {
      logger.warn("smtp#{}: session failed", id, e);
    } finally {
      close();
    }
  }

  /** Answers one command; false when the connection is to end. */
  private boolean command(String line) throws IOException {
    int space = line.indexOf(' ');
    String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
    String argument = space < 0 ? "" : line.substring(space + 1).trim();
    Instant receivedAt = tenant.clock().instant();
    if (!verb.equals("DATA")) {
      recordCommand(receivedAt, verb, argument, 0);
    }
    switch (verb) {
      case "EHLO" -> ehlo();
      case "HELO" -> {
        resetTransaction();
        greeted = true;
        reply("250 " + host + " Hello [127.0.0.1]");
      }
      case "STARTTLS" -> startTls();
      case "AUTH" -> auth(argument);
      case "MAIL" -> mail(argument);
      case "RCPT" -> rcpt(argument);
      case "DATA" -> data(receivedAt, argument);
      case "RSET" -> {
        resetTransaction();
        reply("250 2.0.0 Resetting");
      }
      case "NOOP" -> reply("250 2.0.0 OK");
      case "VRFY" -> reply("252 2.1.5 Cannot VRFY user, but will accept message for delivery");
      case "QUIT" -> {
        endMailboxAccess();
        reply("221 2.0.0 Service closing transmission channel");
        out.flush();
        return false;
      }
      default -> reply("500 5.3.3 Unrecognized command '" + printable(verb) + "'");
    }
    return true;
  }

  private void ehlo() throws IOException {
    resetTransaction();
    greeted = true;
    List<String> lines = new ArrayList<>();
    lines.add(host + " Hello [127.0.0.1]");
    lines.add("SIZE " + SmtpServer.MAX_MESSAGE_SIZE);
    lines.add("PIPELINING");
    lines.add("DSN");
    lines.add("ENHANCEDSTATUSCODES");
    lines.add(tls ? "AUTH LOGIN XOAUTH2" : "STARTTLS");
    lines.add("8BITMIME");
    lines.add("SMTPUTF8");
    StringBuilder reply = new StringBuilder();
    for (int i = 0; i < lines.size(); i++) {
      if (i > 0) {
        reply.append("\r\n");
      }
      reply.append(i == lines.size() - 1 ? "250 " : "250-").append(lines.get(i));
    }
    reply(reply.toString());
  }

  private void startTls() throws IOException {
    if (tls) {
      reply("503 5.5.1 Bad sequence of commands");
      return;
    }
    if (!greeted) {
      reply("503 5.5.2 Send hello first");
      return;
    }
    reply("220 2.0.0 SMTP server ready");
    out.flush();
    in.discardBuffered();
    SSLSocket ssl =
        (SSLSocket) tenant.serverTls().getSocketFactory()
            .createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
    ssl.setUseClientMode(false);
    raw.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
    ssl.startHandshake();
    raw.setSoTimeout(0);
    tls = true;
    greeted = false;
    resetTransaction();
    bind(ssl);
  }

  // ----------------------------------------------------------------------------------------------
  // AUTH

  private void auth(String argument) throws IOException {
    if (!greeted) {
      reply("503 5.5.2 Send hello first");
      return;
    }
    if (!tls) {
      reply("504 5.7.4 Unrecognized authentication type");
      return;
    }
    if (authenticated != null || sender != null) {
      reply("503 5.5.1 Bad sequence of commands");
      return;
    }
    String[] parts = argument.split(" ", 2);
    String mechanism = parts[0].toUpperCase(Locale.ROOT);
    String initial = parts.length > 1 ? parts[1].trim() : null;
    switch (mechanism) {
      case "XOAUTH2" -> {
        String response = initial != null ? initial : prompt("334 ");
        if (response == null) {
          return;
        }
        xoauth2(response.equals("=") ? "" : response);
      }
      case "LOGIN" -> {
        String user = initial != null ? initial : prompt(USERNAME_PROMPT);
        if (user == null) {
          return;
        }
        if (prompt(PASSWORD_PROMPT) == null) {
          return;
        }
        String name = decode(user);
        record("AUTH LOGIN", name, "AUTHENTICATION_FAILED", "basic authentication is disabled", "", 1, "5.7.139");
        reply("535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
            + ExchangeHosts.diagnostic(host, tenant.clock().instant()));
      }
      case "PLAIN" -> {
        if (initial != null) {
          String[] fields = decode(initial).split("\u0000", -1);
          String name = fields.length == 3 ? (fields[0].isEmpty() ? fields[1] : fields[0]) : "";
          record("AUTH PLAIN", name, "AUTHENTICATION_FAILED", "PLAIN is not offered", "", 1, "5.7.4");
        }
        reply("504 5.7.4 Unrecognized authentication type");
      }
      default -> reply("504 5.7.4 Unrecognized authentication type");
    }
  }

  /** Sends a 334 prompt and reads the answer; null when the client cancelled with {@code *}. */
  private String prompt(String prompt) throws IOException {
    reply(prompt);
    if (in.readLine(MAX_COMMAND) < 0) {
      throw new EOFException("client left during AUTH");
    }
    String answer = in.lineText().trim();
    if (answer.equals("*")) {
      reply("501 5.7.0 Authentication aborted");
      return null;
    }
    return answer;
  }

  private void xoauth2(String response) throws IOException {
    String method = "AUTH XOAUTH2";
    Optional<Xoauth2> message = Xoauth2.decode(response);
    if (message.isEmpty()) {
      record(method, "", "AUTHENTICATION_FAILED", "malformed XOAUTH2 message", "", 1, "5.7.3");
      authenticationUnsuccessful();
      return;
    }
    String user = message.get().user();
    ExchangeAccess.Decision decision =
        tenant.exchangeAccess().decide(user, message.get().token(), "SMTP.SendAsApp", "SMTP.Send");
    String app = decision.token().map(VerifiedToken::appId).orElse("");
    if (decision.outcome() != ExchangeAccess.Outcome.OK) {
      record(method, user, decision.outcome().name(), decision.reason(), app, 1, "5.7.3");
      authenticationUnsuccessful();
      return;
    }
    Mailbox mailbox = decision.mailbox().orElseThrow();
    if (mailbox.smtpClientAuthenticationDisabled()) {
      String scope = mailbox.tenant().smtpClientAuthenticationDisabled() ? "Tenant" : "Mailbox";
      record(method, mailbox.address(), "SMTP_AUTH_DISABLED",
          "SmtpClientAuthentication is disabled for the " + scope, app, 1, "5.7.139");
      reply("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the " + scope
          + ". Visit https://aka.ms/smtp_auth_disabled for more information. "
          + ExchangeHosts.diagnostic(host, tenant.clock().instant()));
      return;
    }
    authenticated = mailbox.address();
    authenticatedMailbox = mailbox;
    identityObjectId = decision.token().map(VerifiedToken::objectId).orElse("");
    appId = app;
    endMailboxAccess();
    mailboxAccess = tenant.beginMailboxAccess(authenticated, app);
    record(method, authenticated, "OK", "", app, 0, "");
    reply("235 2.7.0 Authentication successful");
  }

  private void authenticationUnsuccessful() throws IOException {
    reply("535 5.7.3 Authentication unsuccessful " + ExchangeHosts.diagnostic(host, tenant.clock().instant()));
  }

  private static String decode(String base64) {
    try {
      return new String(Base64.getMimeDecoder().decode(base64), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  // ----------------------------------------------------------------------------------------------
  // the transaction

  private void mail(String argument) throws IOException {
    if (!greeted) {
      reply("503 5.5.2 Send hello first");
      return;
    }
    if (!tls) {
      reply("530 5.7.0 Must issue a STARTTLS command first");
      return;
    }
    if (authenticated == null) {
      reply("530 5.7.57 Client not authenticated to send mail.");
      return;
    }
    if (sender != null) {
      reply("503 5.5.1 Sender already specified");
      return;
    }
    if (!argument.toUpperCase(Locale.ROOT).startsWith("FROM:")) {
      reply("501 5.5.4 Invalid arguments");
      return;
    }
    Optional<String> from = path(argument.substring("FROM:".length()));
    if (from.isEmpty()) {
      reply("501 5.1.7 Invalid address");
      return;
    }
    Optional<Long> size = sizeParameter(argument);
    if (size.isEmpty()) {
      reply("501 5.5.4 Invalid SIZE parameter");
      return;
    }
    if (size.get() > SmtpServer.MAX_MESSAGE_SIZE) {
      reply("552 5.3.4 Message size exceeds fixed maximum message size");
      return;
    }
    sender = from.get();
    reply("250 2.1.0 Sender OK");
  }

  private void rcpt(String argument) throws IOException {
    if (sender == null) {
      reply("503 5.5.1 Need mail command");
      return;
    }
    if (!argument.toUpperCase(Locale.ROOT).startsWith("TO:")) {
      reply("501 5.5.4 Invalid arguments");
      return;
    }
    Optional<String> to = path(argument.substring("TO:".length()));
    if (to.isEmpty() || to.get().isEmpty()) {
      reply("501 5.1.3 Invalid address");
      return;
    }
    recipients.add(to.get());
    reply("250 2.1.5 Recipient OK");
  }

  /** DATA is recorded once the message is in, with its size, before the answer to it. */
  private void data(Instant receivedAt, String argument) throws IOException {
    if (sender == null) {
      recordCommand(receivedAt, "DATA", argument, 0);
      reply("503 5.5.1 Need mail command");
      return;
    }
    if (recipients.isEmpty()) {
      recordCommand(receivedAt, "DATA", argument, 0);
      reply("503 5.5.1 Need rcpt command");
      return;
    }
    reply("354 Start mail input; end with <CRLF>.<CRLF>");
    out.flush();
    Path file = Files.createTempFile("testkit-smtp-", ".eml");
    try {
      long size = receive(file);
      recordCommand(receivedAt, "DATA", argument, size);
      submit(file, size);
    } finally {
      Files.deleteIfExists(file);
      resetTransaction();
    }
  }

  /** Reads the message up to the lone dot, unstuffing dots; bytes past the size limit are read and dropped. */
  private long receive(Path file) throws IOException {
    long size = 0;
    try (OutputStream message = new BufferedOutputStream(Files.newOutputStream(file), BUFFER)) {
      while (true) {
        int n = in.readLine(MAX_DATA_LINE);
        if (n < 0) {
          throw new EOFException("client left during DATA");
        }
        byte[] line = in.line();
        if (line[0] == '.' && LineInput.contentLength(line, n) == 1) {
          return size;
        }
        int from = line[0] == '.' ? 1 : 0;
        size += n - from;
        if (size <= SmtpServer.MAX_MESSAGE_SIZE) {
          message.write(line, from, n - from);
        }
      }
    }
  }

  private void submit(Path file, long size) throws IOException {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("from", sender);
    attributes.put("recipients", String.join(",", recipients));
    attributes.put("size", Long.toString(size));
    attributes.put("appid", appId);
    if (size > SmtpServer.MAX_MESSAGE_SIZE) {
      attributes.put("outcome", "TOO_LARGE");
      recordData(attributes, 1, "5.3.4");
      reply("552 5.3.4 Message size exceeds fixed maximum message size");
      return;
    }
    if (!authenticatedMailbox.tenant().maySendAs(authenticatedMailbox, identityObjectId, sender)) {
      attributes.put("outcome", "SEND_AS_DENIED");
      if (tenant.faults().nextInt(2) == 0) {
        recordData(attributes, 1, "5.2.252");
        reply("554 5.2.252 SendAsDenied; " + authenticated + " not allowed to send as " + sender
            + "; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process"
            + " message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message."
            + "[EndDiagnosticData] [Hostname=" + host + "]");
      } else {
        recordData(attributes, 1, "5.2.0");
        reply("554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to"
            + " process message due to a permanent exception with message Cannot submit message. [Hostname=" + host
            + "]");
      }
      return;
    }
    if (size > authenticatedMailbox.maxSendSize()) {
      attributes.put("outcome", "OVER_MAX_SEND_SIZE");
      if (tenant.faults().nextInt(2) == 0) {
        recordData(attributes, 1, "5.3.4");
        reply("552 5.3.4 Message size exceeds fixed maximum message size");
      } else {
        recordData(attributes, 1, "5.2.0");
        reply("554 5.2.0 STOREDRV.Submission.Exception:MessageSubmissionExceededException"
            + ".MapiExceptionMaxSubmissionExceeded; Failed to process message due to a permanent exception with"
            + " message [BeginDiagnosticData]Cannot save changes made to an item to store.[EndDiagnosticData]"
            + " [Hostname=" + host + "]");
      }
      return;
    }
    byte[] message = Files.readAllBytes(file);
    try {
      tenant.delivery().deliver(authenticated, List.copyOf(recipients), message, true);
    } catch (IllegalArgumentException e) {
      attributes.put("outcome", "INVALID_CONTENT");
      recordData(attributes, 1, "5.6.0");
      reply("554 5.6.0 Invalid message content");
      return;
    }
    attributes.put("outcome", "OK");
    recordData(attributes, 0, "");
    String id = String.format(Locale.ROOT, "<%016X%04X@%s>",
        ThreadLocalRandom.current().nextLong(), ThreadLocalRandom.current().nextInt(0x10000), host);
    reply("250 2.0.0 OK " + id + " [Hostname=" + host + "]");
  }

  private void resetTransaction() {
    sender = null;
    recipients.clear();
  }

  /** The address of {@code <addr>} (empty for the null path {@code <>}), parameters after it ignored. */
  private static Optional<String> path(String text) {
    String t = text.trim();
    if (!t.startsWith("<")) {
      int space = t.indexOf(' ');
      String bare = space < 0 ? t : t.substring(0, space);
      return bare.isEmpty() ? Optional.empty() : Optional.of(bare);
    }
    int close = t.indexOf('>');
    return close < 0 ? Optional.empty() : Optional.of(t.substring(1, close).trim());
  }

  /** The value of {@code SIZE=n} (0 when absent), empty when malformed. */
  private static Optional<Long> sizeParameter(String argument) {
    for (String word : argument.split(" ")) {
      if (word.toUpperCase(Locale.ROOT).startsWith("SIZE=")) {
        try {
          return Optional.of(Long.parseLong(word.substring("SIZE=".length())));
        } catch (NumberFormatException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.of(0L);
  }

  // ----------------------------------------------------------------------------------------------
  // plumbing

  private void record(String method, String mailbox, String outcome, String reason, String app, int status,
      String code) {
    tenant.record(
        new RecordedRequest(
            "smtp", method, mailbox, Map.of("outcome", outcome, "reason", reason, "appid", app), status, code,
            tenant.clock().instant()));
  }

  /** Records a command the client sent, the response of AUTH redacted ({@link RecordedCommand#redact}). */
  private void recordCommand(Instant at, String verb, String argument, long payloadBytes) {
    tenant.record(new RecordedCommand(RecordedCommand.Protocol.SMTP, id, authenticated == null ? "" : authenticated,
        "", verb, RecordedCommand.redact(verb, argument), payloadBytes, at));
  }

  private void recordData(Map<String, String> attributes, int status, String code) {
    tenant.record(new RecordedRequest("smtp", "DATA", authenticated, attributes, status, code, tenant.clock().instant()));
  }

  private void bind(Socket s) throws IOException {
    in = new LineInput(s.getInputStream(), BUFFER);
    out = new BufferedOutputStream(s.getOutputStream(), BUFFER);
  }

  /** Writes a reply (lines separated by CRLF), flushing unless more pipelined commands are waiting. */
  private void reply(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.write('\r');
    out.write('\n');
    if (!in.moreAvailable()) {
      out.flush();
    }
  }

  private void tryReply(String text) {
    try {
      reply(text);
      out.flush();
    } catch (IOException e) {
      // the client is gone
    }
  }

  private static String printable(String s) {
    String t = s.length() > 40 ? s.substring(0, 40) : s;
    return t.replaceAll("[^\\x20-\\x7e]", "?");
  }

  private void endMailboxAccess() {
    MailboxAccessLog.Activity activity = mailboxAccess;
    if (activity != null) {
      activity.end();
    }
  }

  /** Closes the connection; idempotent, callable from any thread. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    endMailboxAccess();
    server.sessionClosed(this);
    try {
      raw.close();
    } catch (IOException e) {
      // closing is best effort
    }
  }

  @Override
  public String toString() {
    return "SmtpSession#" + id + "[" + (authenticated == null ? "not authenticated" : authenticated) + "]";
  }
}
