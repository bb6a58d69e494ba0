package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.InputStream;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.Diagnosis;
import org.o365mail.EmailAddress;
import org.o365mail.FolderRef;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.RecordedCommand;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.StoredMail;

/**
 * The SMTP sender on its own: XOAUTH2 over STARTTLS, app-only and delegated, a 10 MB attachment streamed from its
 * source (opened once, never held whole) and arriving intact, and Exchange's refusals diagnosed with the PowerShell
 * that fixes them, which the tests then run against the testkit.
 */
@Timeout(60)
@ExtendWith({FreshLogs.class, LeakCheck.class})
class SmtpSenderTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();
  private static final int TEN_MEGABYTES = 10 * 1024 * 1024;

  static LocalTenant m365;
  static Exchange contoso;

  @BeforeAll
  static void tenant() {
    m365 = M365.tenant();
    contoso = new Exchange(m365, "contoso.com");
  }

  /** The SMTP requests of every test so far: the extension clears the recorded requests before each test. */
  private static final List<RecordedRequest> SUBMISSIONS = new java.util.concurrent.CopyOnWriteArrayList<>();

  @AfterEach
  void keepTheSubmissions() {
    SUBMISSIONS.addAll(m365.requests("smtp"));
  }

  @AfterAll
  static void onlyXoauth2_wasEverOffered() {
    assertThat(SUBMISSIONS).isNotEmpty().extracting(RecordedRequest::method)
        .containsOnly("AUTH XOAUTH2", "DATA");
    contoso.close();
  }

  private static SmtpSender sender(Mailbox mailbox, CredentialStrategy credential) {
    return SmtpSender.builder()
        .mailbox(mailbox.address())
        .credential(credential)
        .host(m365.hostName())
        .port(m365.smtpPort())
        .build();
  }

  private static OutgoingMessage note(Mailbox to, String subject) {
    return OutgoingMessage.builder().to(to.address()).subject(subject).text("Hello.").build();
  }

  private static Diagnosis refusal(SmtpSender sender, OutgoingMessage message) {
    Throwable t = catchThrowable(() -> sender.send(message));
    assertThat(t).isInstanceOf(MailboxAuthenticationException.class);
    Secrets.assertClean(t);
    return ((MailboxAuthenticationException) t).diagnosis().orElseThrow();
  }

  /** Deterministic bytes from a seed, produced as they are read: the source never holds the attachment. */
  private static InputStream generated(long seed, int size) {
    Random random = new Random(seed);
    return new InputStream() {
      int left = size;

      @Override
      public int read() {
        if (left == 0) {
          return -1;
        }
        left--;
        return random.nextInt(256);
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left == 0) {
          return -1;
        }
        int n = Math.min(len, left);
        for (int i = 0; i < n; i++) {
          b[off + i] = (byte) random.nextInt(256);
        }
        left -= n;
        return n;
      }
    };
  }

  private static String sha(InputStream in) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    try (DigestInputStream d = new DigestInputStream(in, sha)) {
      d.transferTo(java.io.OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  @Test
  void tenMegabyteAttachment_isStreamedFromItsSource_andArrivesIntactInAnotherMailbox() throws Exception {
    Mailbox from = contoso.mailbox("reports");
    Mailbox to = contoso.mailbox("archive");
    AtomicInteger opened = new AtomicInteger();
    OutgoingAttachment scan = OutgoingAttachment.stream("scan.bin", "application/octet-stream", TEN_MEGABYTES, () -> {
      opened.incrementAndGet();
      return generated(7, TEN_MEGABYTES);
    });
    SmtpSender sender = sender(from, contoso.appOnly());
    sender.send(OutgoingMessage.builder().to(to.address()).subject("Monthly scan").text("Attached.").attach(scan)
        .build());
    assertThat(opened).hasValue(1);
    assertThat(m365.smtpCommands()).filteredOn(c -> c.is("DATA") && c.user().equalsIgnoreCase(from.address()))
        .as("the message in one DATA, attachment included").singleElement()
        .satisfies(c -> assertThat(c.payloadBytes()).isGreaterThan(TEN_MEGABYTES));

    assertThat(from.messages("Sent Items")).extracting(StoredMail::subject).contains("Monthly scan");
    try (ImapMailboxConnector c = contoso.connector(to, contoso.appOnly()).build()) {
      MessageSummary received = c.listMessages(FolderRef.INBOX).stream()
          .filter(m -> m.subject().equals("Monthly scan")).findFirst().orElseThrow();
      assertThat(received.from().orElseThrow().address()).isEqualTo(from.address());
      assertThat(received.hasAttachments()).isTrue();
      AttachmentInfo info = c.listAttachments(received.id()).stream()
          .filter(a -> a.name().equals("scan.bin")).findFirst().orElseThrow();
      assertThat(info.contentType()).isEqualTo("application/octet-stream");
      try (InputStream in = c.openAttachment(received.id(), info.id())) {
        assertThat(sha(in)).isEqualTo(sha(generated(7, TEN_MEGABYTES)));
      }
    }
  }

  @Test
  void delegatedUser_sendsWithSmtpSend() {
    Mailbox alice = contoso.user("alice");
    Mailbox bob = contoso.user("bob");
    sender(alice, contoso.delegated(alice.address())).send(note(bob, "From Alice"));
    assertThat(bob.messages("Inbox")).extracting(StoredMail::subject).containsExactly("From Alice");
    assertThat(m365.requests("smtp")).filteredOn(r -> r.method().equals("AUTH XOAUTH2")
        && r.path().equalsIgnoreCase(alice.address())).allSatisfy(r -> {
          assertThat(r.attribute("outcome")).isEqualTo("OK");
          assertThat(r.attribute("appid")).isEqualTo(contoso.desktop.clientId());
        });
    List<String> sent = contoso.smtpSessionsOf(alice);
    assertThat(sent).filteredOn(l -> l.startsWith("AUTH ")).containsExactly("AUTH XOAUTH2 " + RecordedCommand.REDACTED);
    assertThat(sent).filteredOn(l -> l.startsWith("DATA")).hasSize(1);
  }

  @Test
  void appOnly_withoutExchangeServicePrincipal_is535_5_7_3_withTheCommandsThatFixIt() {
    Application app = contoso.tenant.registerApp("Notifier")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "SMTP.SendAsApp").grantAdminConsent();
    PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(30));
    Secrets.secret(secret.value());
    Mailbox alerts = contoso.user("alerts");
    Mailbox ops = contoso.user("ops");
    SmtpSender sender = sender(alerts, contoso.appOnly(app, secret));
    Diagnosis d = refusal(sender, note(ops, "Disk full"));
    assertThat(d.setupStep()).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);
    assertThat(d.serviceCode()).isEqualTo("SMTP 535 5.7.3");
    String enterpriseObjectId = contoso.tenant.servicePrincipal(app).orElseThrow().objectId();
    assertThat(d.command()).contains("New-ServicePrincipal -AppId " + app.clientId() + " -ObjectId "
        + enterpriseObjectId + "; Add-MailboxPermission -Identity " + alerts.address() + " -User "
        + enterpriseObjectId + " -AccessRights FullAccess");
    ConnectionCheck check = sender.checkConnection();
    assertThat(check.ok()).isFalse();
    assertThat(check.diagnosis())
        .get().extracting(Diagnosis::setupStep).isEqualTo(SetupStep.EXCHANGE_SERVICE_PRINCIPAL);

    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    assertThat(sender.checkConnection().ok()).isTrue();
    sender.send(note(ops, "Disk full"));
    assertThat(ops.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Disk full");
  }

  @Test
  void delegatedUser_withoutRightsOnTheMailbox_is535_5_7_3_mailboxPermission() {
    Mailbox carol = contoso.user("carol");
    Mailbox shared = contoso.tenant.addSharedMailbox("helpdesk@contoso.com");
    Mailbox customer = contoso.user("customer");
    SmtpSender sender = sender(shared, contoso.delegated(carol.address()));
    Diagnosis d = refusal(sender, note(customer, "Your ticket"));
    assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PERMISSION);
    assertThat(d.command()).contains("Add-MailboxPermission -Identity " + shared.address() + " -User "
        + carol.address() + " -AccessRights FullAccess");
    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    sender.send(note(customer, "Your ticket"));
    assertThat(customer.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Your ticket");
  }

  @Test
  void smtpAuthDisabledForTheTenant_is5_7_139_withSetTransportConfig() {
    try (Exchange fabrikam = new Exchange(m365, "fabrikam.com")) {
      fabrikam.tenant.smtpClientAuthenticationDisabled(true);
      Mailbox from = fabrikam.mailbox("noreply");
      SmtpSender sender = sender(from, fabrikam.appOnly());
      Diagnosis d = refusal(sender, note(from, "Test"));
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
      assertThat(d.serviceCode()).isEqualTo("SMTP 535 5.7.139");
      assertThat(d.summary()).contains("whole tenant");
      assertThat(d.command()).contains("Set-TransportConfig -SmtpClientAuthenticationDisabled $false");
      assertThat(d.fix()).contains("Set-CASMailbox -Identity " + from.address()
          + " -SmtpClientAuthenticationDisabled $false");
      PowerShell.run(fabrikam.tenant, d.command().orElseThrow());
      sender.send(note(from, "Test"));
    }
  }

  @Test
  void smtpAuthDisabledForTheMailbox_is5_7_139_withSetCasMailbox() {
    Mailbox from = contoso.mailbox("nosmtp");
    from.smtpClientAuthenticationDisabled(true);
    SmtpSender sender = sender(from, contoso.appOnly());
    Diagnosis d = refusal(sender, note(from, "Test"));
    assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
    assertThat(d.command()).contains("Set-CASMailbox -Identity " + from.address()
        + " -SmtpClientAuthenticationDisabled $false");
    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    sender.send(note(from, "Test"));
    assertThat(from.messages("Inbox")).extracting(StoredMail::subject).contains("Test");
  }

  /**
   * Sending as another address without Send As: SendAsDenied in either wording Exchange uses, diagnosed as the Send As
   * permission with the {@code Add-RecipientPermission} that, once run, lets the same message through.
   */
  @Test
  void sendingAsAnotherAddress_withoutSendAs_isTheSendAsPermission_andItsCommandFixesIt() {
    Mailbox clerk = contoso.mailbox("clerk");
    Mailbox ceo = contoso.mailbox("ceo");
    SmtpSender sender = sender(clerk, contoso.appOnly());
    OutgoingMessage asCeo = OutgoingMessage.builder().from(EmailAddress.of(ceo.address())).to(clerk.address())
        .subject("On behalf").text("x").build();
    java.util.Set<String> codes = new java.util.TreeSet<>();
    Diagnosis d = null;
    for (int i = 0; i < 20 && codes.size() < 2; i++) {
      d = refusal(sender, asCeo);
      codes.add(d.serviceCode());
      assertThat(d.setupStep()).isEqualTo(SetupStep.SEND_AS_PERMISSION);
      assertThat(d.command()).contains("Add-RecipientPermission -Identity " + ceo.address() + " -Trustee "
          + clerk.address() + " -AccessRights SendAs");
    }
    assertThat(codes).as("both of Exchange's wordings")
        .containsExactly("SMTP 554 5.2.0 SendAsDenied", "SMTP 554 5.2.252 SendAsDenied");
    assertThat(clerk.messages("Inbox")).extracting(StoredMail::subject).doesNotContain("On behalf");
    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    sender.send(asCeo);
    assertThat(clerk.messages("Inbox")).extracting(StoredMail::subject).contains("On behalf");
  }

  @Test
  void delegatedSendAs_namesTheSignedInUserAsTrustee() {
    Mailbox bob = contoso.user("bob");
    Mailbox sales = contoso.user("sales");
    SmtpSender sender = sender(bob, contoso.delegated(bob.address()));
    OutgoingMessage asSales = OutgoingMessage.builder().from(EmailAddress.of(sales.address())).to(bob.address())
        .subject("From sales").text("x").build();
    Diagnosis d = refusal(sender, asSales);
    assertThat(d.setupStep()).isEqualTo(SetupStep.SEND_AS_PERMISSION);
    assertThat(d.command()).contains("Add-RecipientPermission -Identity " + sales.address() + " -Trustee "
        + bob.address() + " -AccessRights SendAs");
    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    sender.send(asSales);
    assertThat(bob.messages("Inbox")).extracting(StoredMail::subject).contains("From sales");
  }

  /**
   * A message over the mailbox's MaxSendSize: refused in either wording, diagnosed as the maximum send size (not a
   * permission, so not an authentication failure) with the {@code Set-Mailbox} that, once run, lets it through.
   */
  @Test
  void messageOverTheMailboxsMaxSendSize_isTheMaximumSendSize_andItsCommandFixesIt() {
    Mailbox reports = contoso.mailbox("reports");
    reports.maxSendSize(64 * 1024);
    SmtpSender sender = sender(reports, contoso.appOnly());
    OutgoingMessage big = OutgoingMessage.builder().to(reports.address()).subject("Big report").text("See attached.")
        .attach(OutgoingAttachment.bytes("report.bin", "application/octet-stream", new byte[100 * 1024])).build();
    java.util.Set<String> codes = new java.util.TreeSet<>();
    Diagnosis d = null;
    for (int i = 0; i < 20 && codes.size() < 2; i++) {
      Throwable t = catchThrowable(() -> sender.send(big));
      assertThat(t).isInstanceOf(org.o365mail.MailboxException.class)
          .isNotInstanceOf(MailboxAuthenticationException.class);
      Secrets.assertClean(t);
      d = ((org.o365mail.MailboxException) t).diagnosis().orElseThrow();
      codes.add(d.serviceCode());
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAX_SEND_SIZE);
      assertThat(d.retryable()).isFalse();
      assertThat(d.command()).contains("Set-Mailbox -Identity " + reports.address() + " -MaxSendSize 150MB");
    }
    assertThat(codes).as("both of Exchange's wordings")
        .containsExactly("SMTP 552 5.3.4", "SMTP 554 5.2.0 MaxSubmissionExceeded");
    assertThat(reports.messages("Inbox")).extracting(StoredMail::subject).doesNotContain("Big report");
    PowerShell.run(contoso.tenant, d.command().orElseThrow());
    assertThat(reports.maxSendSize()).isEqualTo(Mailbox.LARGEST_MAX_SEND_SIZE);
    sender.send(big);
    assertThat(reports.messages("Inbox")).extracting(StoredMail::subject).contains("Big report");
  }

  @Test
  void tokenWithoutTheSmtpRole_isCaughtByThePreflight() {
    Application app = contoso.tenant.registerApp("IMAP only")
        .addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp").grantAdminConsent();
    PasswordCredential secret = app.addClientSecret("prod", Duration.ofDays(30));
    Secrets.secret(secret.value());
    Mailbox from = contoso.mailbox("imaponly");
    long before = m365.requests("smtp").size();
    Diagnosis d = refusal(sender(from, contoso.appOnly(app, secret)), note(from, "x"));
    assertThat(d.setupStep()).isEqualTo(SetupStep.APPLICATION_PERMISSION);
    assertThat(d.fix()).contains("SMTP.SendAsApp");
    assertThat(m365.requests("smtp")).hasSize((int) before);
  }

  @Test
  void builder_namesWhatIsMissing() {
    Throwable t = catchThrowable(() -> SmtpSender.builder().build());
    assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageContaining("mailbox()")
        .hasMessageContaining("credential()");
    assertThat(catchThrowable(() -> SmtpSender.builder().port(70000))).isInstanceOf(IllegalArgumentException.class);
    assertThat(List.of(sender(contoso.mailbox("tostring"), contoso.appOnly()).toString()))
        .allSatisfy(s -> Secrets.assertClean("toString", s));
  }
}
