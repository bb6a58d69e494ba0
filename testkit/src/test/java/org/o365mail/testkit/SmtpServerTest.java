package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.activation.DataHandler;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.util.ByteArrayDataSource;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SMTP submission the way smtp.office365.com:587 does it: STARTTLS, XOAUTH2, and its refusals. */
@Timeout(60)
class SmtpServerTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final String FAILED_3 = "535 5\\.7\\.3 Authentication unsuccessful \\[.+\\]";

  private static LocalTenant m365;
  private static Contoso contoso;

  @BeforeAll
  static void start() {
    m365 = M365.tenant();
    contoso = new Contoso(m365);
  }

  /** Connected, greeted, upgraded to TLS and greeted again. */
  private static Wire secured() {
    Wire wire = Wire.plain(m365, m365.smtpPort());
    assertThat(wire.readLine()).startsWith("220 ");
    ehlo(wire);
    assertThat(wire.send("STARTTLS").readLine()).isEqualTo("220 2.0.0 SMTP server ready");
    wire.startTls();
    ehlo(wire);
    return wire;
  }

  private static List<String> ehlo(Wire wire) {
    wire.send("EHLO client.example");
    List<String> lines = new java.util.ArrayList<>();
    String line;
    do {
      line = wire.readLine();
      lines.add(line);
    } while (line.startsWith("250-"));
    return lines;
  }

  private static String auth(Wire wire, String user, String token) {
    return wire.send("AUTH XOAUTH2 " + Wire.xoauth2(user, token)).readLine();
  }

  @Test
  void dialogue_beforeAndAfterStartTls() {
    try (Wire wire = Wire.plain(m365, m365.smtpPort())) {
      assertThat(wire.readLine())
          .matches("220 [A-Z0-9]+\\.[A-Z]+PRD\\d\\d\\.PROD\\.OUTLOOK\\.COM Microsoft ESMTP MAIL Service ready at "
              + "[A-Z][a-z]{2}, \\d{1,2} [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d \\+0000");
      assertThat(wire.send("MAIL FROM:<alice@contoso.com>").readLine()).isEqualTo("503 5.5.2 Send hello first");
      List<String> plain = ehlo(wire);
      assertThat(plain.get(0)).matches("250-\\S+ Hello \\[127\\.0\\.0\\.1\\]");
      assertThat(plain.subList(1, plain.size())).containsExactly(
          "250-SIZE 157286400", "250-PIPELINING", "250-DSN", "250-ENHANCEDSTATUSCODES", "250-STARTTLS",
          "250-8BITMIME", "250 SMTPUTF8");
      assertThat(auth(wire, Contoso.ALICE, "x")).isEqualTo("504 5.7.4 Unrecognized authentication type");
      assertThat(wire.send("AUTH LOGIN").readLine()).isEqualTo("504 5.7.4 Unrecognized authentication type");
      assertThat(wire.send("MAIL FROM:<alice@contoso.com>").readLine())
          .isEqualTo("530 5.7.0 Must issue a STARTTLS command first");
      assertThat(wire.send("STARTTLS").readLine()).isEqualTo("220 2.0.0 SMTP server ready");
      wire.startTls();
      List<String> secure = ehlo(wire);
      assertThat(secure.subList(1, secure.size())).containsExactly(
          "250-SIZE 157286400", "250-PIPELINING", "250-DSN", "250-ENHANCEDSTATUSCODES", "250-AUTH LOGIN XOAUTH2",
          "250-8BITMIME", "250 SMTPUTF8");
      assertThat(wire.send("MAIL FROM:<alice@contoso.com>").readLine())
          .isEqualTo("530 5.7.57 Client not authenticated to send mail.");
      assertThat(wire.send("NOOP").readLine()).isEqualTo("250 2.0.0 OK");
      assertThat(wire.send("QUIT").readLine()).isEqualTo("221 2.0.0 Service closing transmission channel");
      assertThat(wire.closedByServer()).isTrue();
    }
  }

  @Test
  void appOnlySubmission_isDeliveredLocallyAndSavedToSentItems() {
    Mailbox sender = contoso.newMailbox("sender");
    Mailbox bob = contoso.mailbox(Contoso.BOB);
    int bobBefore = bob.count("Inbox");
    String message = "From: sender@contoso.com\r\nTo: bob@contoso.com, dave@fabrikam.com\r\n"
        + "Subject: Dots\r\nMessage-ID: <dots@test>\r\n\r\nLine one\r\n..leading dot\r\n.\r\n";
    try (Wire wire = secured()) {
      assertThat(auth(wire, sender.address(), contoso.appToken())).isEqualTo("235 2.7.0 Authentication successful");
      // pipelined envelope
      wire.send("MAIL FROM:<sender@contoso.com> SIZE=" + message.length() + "\r\nRCPT TO:<bob@contoso.com>\r\n"
          + "RCPT TO:<dave@fabrikam.com>\r\nDATA");
      assertThat(wire.readLine()).isEqualTo("250 2.1.0 Sender OK");
      assertThat(wire.readLine()).isEqualTo("250 2.1.5 Recipient OK");
      assertThat(wire.readLine()).isEqualTo("250 2.1.5 Recipient OK");
      assertThat(wire.readLine()).isEqualTo("354 Start mail input; end with <CRLF>.<CRLF>");
      wire.sendRaw(message.getBytes(StandardCharsets.US_ASCII));
      assertThat(wire.readLine()).matches("250 2\\.0\\.0 OK <[0-9A-F]+@\\S+> \\[Hostname=\\S+\\]");
      assertThat(wire.send("RSET").readLine()).isEqualTo("250 2.0.0 Resetting");
    }
    assertThat(bob.count("Inbox")).isEqualTo(bobBefore + 1);
    StoredMail sent = sender.messages("Sent Items").get(0);
    assertThat(sent.subject()).isEqualTo("Dots");
    assertThat(sent.seen()).isTrue();
    assertThat(new String(sender.mime(sent), StandardCharsets.UTF_8)).contains("\r\n.leading dot\r\n");
    assertThat(m365.outboundMail()).anySatisfy(o -> assertThat(o.recipients()).containsExactly("dave@fabrikam.com"));
    RecordedRequest data = m365.requests("smtp").get(1);
    assertThat(data.method()).isEqualTo("DATA");
    assertThat(data.attribute("outcome")).isEqualTo("OK");
    assertThat(data.attribute("appid")).isEqualTo(contoso.daemon.clientId());
  }

  /** Sends a small message from {@code from} to bob in the session; returns the answer to the final dot. */
  private static String submit(Wire wire, String from) {
    assertThat(wire.send("MAIL FROM:<" + from + ">").readLine()).isEqualTo("250 2.1.0 Sender OK");
    assertThat(wire.send("RCPT TO:<bob@contoso.com>").readLine()).isEqualTo("250 2.1.5 Recipient OK");
    assertThat(wire.send("DATA").readLine()).startsWith("354 ");
    wire.send("Subject: spoof\r\n\r\nhi\r\n.");
    return wire.readLine();
  }

  @Test
  void delegatedTwoStepAuth_andSendAsDenied_inBothWordings_untilSendAsIsGiven() {
    java.util.Set<String> codes = new java.util.TreeSet<>();
    try (Wire wire = secured()) {
      assertThat(wire.send("AUTH XOAUTH2").readLine()).isEqualTo("334 ");
      assertThat(wire.send(Wire.xoauth2(Contoso.ALICE, contoso.userToken(Contoso.ALICE))).readLine())
          .isEqualTo("235 2.7.0 Authentication successful");
      assertThat(wire.send("AUTH XOAUTH2 x").readLine()).isEqualTo("503 5.5.1 Bad sequence of commands");
      for (int i = 0; i < 20 && codes.size() < 2; i++) {
        String answer = submit(wire, "bob@contoso.com");
        if (answer.startsWith("554 5.2.252")) {
          assertThat(answer).startsWith("554 5.2.252 SendAsDenied; alice@contoso.com not allowed to send as"
              + " bob@contoso.com; STOREDRV.Submission.Exception:SendAsDeniedException");
        } else {
          assertThat(answer).startsWith("554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException"
              + ".MapiExceptionSendAsDenied; Failed to process message due to a permanent exception");
        }
        codes.add(answer.split(" ")[1]);
      }
      assertThat(codes).containsExactly("5.2.0", "5.2.252");
      assertThat(submit(wire, "fabrikam-ceo@fabrikam.com")).as("an address of no mailbox here").startsWith("554 5.2.");
      m365.tenant("contoso.com").addRecipientPermission("bob@contoso.com", Contoso.ALICE, "SendAs");
      assertThat(submit(wire, "bob@contoso.com")).startsWith("250 2.0.0 OK");
    } finally {
      m365.tenant("contoso.com").removeRecipientPermission("bob@contoso.com", Contoso.ALICE);
    }
    assertThat(m365.requests("smtp")).extracting(RecordedRequest::errorCode).contains("5.2.252", "5.2.0");
  }

  @Test
  void messageOverTheMailboxsMaxSendSize_isRefusedAfterData_inBothWordings() {
    Mailbox alice = m365.tenant("contoso.com").mailbox(Contoso.ALICE);
    alice.maxSendSize(1024);
    java.util.Set<String> answers = new java.util.TreeSet<>();
    try (Wire wire = secured()) {
      assertThat(auth(wire, Contoso.ALICE, contoso.appToken())).isEqualTo("235 2.7.0 Authentication successful");
      for (int i = 0; i < 20 && answers.size() < 2; i++) {
        assertThat(wire.send("MAIL FROM:<alice@contoso.com>").readLine()).isEqualTo("250 2.1.0 Sender OK");
        assertThat(wire.send("RCPT TO:<bob@contoso.com>").readLine()).isEqualTo("250 2.1.5 Recipient OK");
        assertThat(wire.send("DATA").readLine()).startsWith("354 ");
        wire.send("Subject: big\r\n\r\n" + "x".repeat(2000) + "\r\n.");
        answers.add(wire.readLine().replaceFirst(" \\[Hostname=.*", ""));
      }
      assertThat(answers).containsExactly("552 5.3.4 Message size exceeds fixed maximum message size",
          "554 5.2.0 STOREDRV.Submission.Exception:MessageSubmissionExceededException"
              + ".MapiExceptionMaxSubmissionExceeded; Failed to process message due to a permanent exception with"
              + " message [BeginDiagnosticData]Cannot save changes made to an item to store.[EndDiagnosticData]");
      alice.maxSendSize(Mailbox.DEFAULT_MAX_SEND_SIZE);
      assertThat(submit(wire, "alice@contoso.com")).startsWith("250 2.0.0 OK");
    }
  }

  @Test
  void smtpAuthDisabled_forTheTenantAndForTheMailbox() {
    String token = contoso.appToken();
    contoso.tenant.smtpClientAuthenticationDisabled(true);
    try (Wire wire = secured()) {
      assertThat(auth(wire, Contoso.ALICE, token)).startsWith(
          "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit"
              + " https://aka.ms/smtp_auth_disabled for more information.");
    } finally {
      contoso.tenant.smtpClientAuthenticationDisabled(false);
    }
    contoso.mailbox(Contoso.SUPPORT).smtpClientAuthenticationDisabled(true);
    try (Wire wire = secured()) {
      assertThat(auth(wire, Contoso.SUPPORT, token)).startsWith(
          "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit"
              + " https://aka.ms/smtp_auth_disabled for more information.");
      assertThat(auth(wire, Contoso.ALICE, token)).isEqualTo("235 2.7.0 Authentication successful");
    } finally {
      contoso.mailbox(Contoso.SUPPORT).smtpClientAuthenticationDisabled(null);
    }
  }

  @Test
  void otherFailures_areAuthenticationUnsuccessful() {
    Application graph = contoso.tenant.registerApp("Graph sender");
    PasswordCredential secret = graph.addClientSecret("s", Duration.ofDays(30));
    graph.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.Send").grantAdminConsent();
    String graphToken =
        contoso.http.clientCredentialsToken(contoso.tenant, graph, secret, "https://graph.microsoft.com/.default");
    try (Wire wire = secured()) {
      assertThat(auth(wire, Contoso.ALICE, "not-a-token")).matches(FAILED_3);
      assertThat(auth(wire, Contoso.ALICE, graphToken)).matches(FAILED_3);
      // authenticated but not connected on IMAP is a plain 5.7.3 on SMTP
      assertThat(auth(wire, Contoso.ALICE, contoso.userToken(Contoso.BOB))).matches(FAILED_3);
      assertThat(auth(wire, Contoso.BOB, contoso.appToken())).matches(FAILED_3);
      assertThat(wire.send("AUTH XOAUTH2 bm9wZQ==").readLine()).matches(FAILED_3);
      assertThat(wire.send("AUTH XOAUTH2").readLine()).isEqualTo("334 ");
      assertThat(wire.send("*").readLine()).isEqualTo("501 5.7.0 Authentication aborted");
    }
    assertThat(m365.requests("smtp")).extracting(r -> r.attribute("outcome")).containsExactly(
        "AUTHENTICATION_FAILED", "AUTHENTICATION_FAILED", "NOT_CONNECTED", "AUTHENTICATION_FAILED",
        "AUTHENTICATION_FAILED");
  }

  @Test
  void basicAuth_isRefusedAndRecorded_withoutThePassword() {
    String token = contoso.appToken();
    try (Wire wire = secured()) {
      assertThat(wire.send("AUTH LOGIN").readLine()).isEqualTo("334 VXNlcm5hbWU6");
      assertThat(wire.send(b64(Contoso.ALICE)).readLine()).isEqualTo("334 UGFzc3dvcmQ6");
      assertThat(wire.send(b64(token)).readLine())
          .matches("535 5\\.7\\.139 Authentication unsuccessful, basic authentication is disabled\\. \\[.+\\]");
      assertThat(wire.send("AUTH PLAIN " + b64("\u0000" + Contoso.ALICE + "\u0000" + token)).readLine())
          .isEqualTo("504 5.7.4 Unrecognized authentication type");
    }
    assertThat(m365.requests("smtp")).extracting(RecordedRequest::method).containsExactly("AUTH LOGIN", "AUTH PLAIN");
    assertThat(m365.requests("smtp")).allSatisfy(r -> {
      assertThat(r.path()).isEqualTo(Contoso.ALICE);
      assertThat(r.status()).isEqualTo(1);
      assertThat(r.toString()).doesNotContain(token);
    });
  }

  @Test
  void declaredSizeOverTheLimit_isRefused() {
    try (Wire wire = secured()) {
      assertThat(auth(wire, Contoso.ALICE, contoso.appToken())).isEqualTo("235 2.7.0 Authentication successful");
      assertThat(wire.send("MAIL FROM:<alice@contoso.com> SIZE=157286401").readLine())
          .isEqualTo("552 5.3.4 Message size exceeds fixed maximum message size");
      assertThat(wire.send("RCPT TO:<bob@contoso.com>").readLine()).isEqualTo("503 5.5.1 Need mail command");
      assertThat(wire.send("MAIL FROM:<alice@contoso.com> SIZE=157286400").readLine()).isEqualTo("250 2.1.0 Sender OK");
      assertThat(wire.send("DATA").readLine()).isEqualTo("503 5.5.1 Need rcpt command");
    }
  }

  @Test
  void angusMail_sendsATenMegabyteAttachmentThatArrivesIntact() throws Exception {
    Mailbox sender = contoso.newMailbox("angus-sender");
    Mailbox recipient = contoso.newMailbox("angus-recipient");
    byte[] attachment = new byte[10 * 1024 * 1024];
    new Random(42).nextBytes(attachment);

    Properties props = new Properties();
    props.put("mail.smtp.host", "localhost");
    props.put("mail.smtp.port", Integer.toString(m365.smtpPort()));
    props.put("mail.smtp.auth", "true");
    props.put("mail.smtp.auth.mechanisms", "XOAUTH2");
    props.put("mail.smtp.starttls.enable", "true");
    props.put("mail.smtp.starttls.required", "true");
    props.put("mail.smtp.ssl.socketFactory", m365.sslContext().getSocketFactory());
    props.put("mail.smtp.ssl.checkserveridentity", "true");
    props.put("mail.smtp.connectiontimeout", "10000");
    props.put("mail.smtp.timeout", "30000");
    Session session = Session.getInstance(props);
    MimeMessage message = new MimeMessage(session);
    message.setFrom(new InternetAddress(sender.address()));
    message.setRecipient(Message.RecipientType.TO, new InternetAddress(recipient.address()));
    message.setSubject("Scan");
    MimeBodyPart text = new MimeBodyPart();
    text.setText("See attachment", "UTF-8");
    MimeBodyPart file = new MimeBodyPart();
    file.setDataHandler(new DataHandler(new ByteArrayDataSource(attachment, "application/octet-stream")));
    file.setFileName("scan.bin");
    message.setContent(new MimeMultipart(text, file));

    try (Transport transport = session.getTransport("smtp")) {
      transport.connect("localhost", m365.smtpPort(), sender.address(), contoso.appToken());
      transport.sendMessage(message, message.getAllRecipients());
    }

    for (Mailbox box : List.of(recipient, sender)) {
      String folder = box == recipient ? "Inbox" : "Sent Items";
      List<StoredMail> mails = box.messages(folder);
      assertThat(mails).hasSize(1);
      MimeMessage stored = MailStore.parse(box.mime(mails.get(0)));
      MimeMultipart parts = (MimeMultipart) stored.getContent();
      assertThat(parts.getBodyPart(1).getFileName()).isEqualTo("scan.bin");
      assertThat(parts.getBodyPart(1).getInputStream().readAllBytes()).isEqualTo(attachment);
    }
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }
}
