package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.Diagnosis;
import org.o365mail.EmailAddress;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxException;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testsupport.Tenants;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;

/**
 * Exchange's refusals of a message sent through Graph, by {@code sendMail} and by a draft sent after an upload
 * session: {@code 403 ErrorSendAsDenied} for a From the identity may not send as, and {@code ErrorMessageSizeExceeded}
 * for a message over the mailbox's MaxSendSize, each diagnosed with its own setup step and the PowerShell that fixes
 * it, which the tests then run against the testkit.
 */
@Timeout(90)
@ExtendWith(LeakCheck.class)
class GraphSendRefusalsTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();
  private static final Pattern ADD_RECIPIENT_PERMISSION =
      Pattern.compile("Add-RecipientPermission -Identity (\\S+) -Trustee (\\S+) -AccessRights SendAs");
  private static final Pattern SET_MAX_SEND_SIZE = Pattern.compile("Set-Mailbox -Identity (\\S+) -MaxSendSize (\\d+)MB");
  private static final int FOUR_MEGABYTES = 4 * 1024 * 1024;

  static LocalTenant m365;
  static Tenant contoso;
  static Application daemon;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    daemon = GraphApps.daemon(contoso, "Sender", "Mail.ReadWrite", "Mail.Send");
  }

  /** Runs the PowerShell a diagnosis printed against the testkit's tenant. */
  private static void run(Diagnosis d) {
    String command = d.command().orElseThrow();
    Matcher m;
    if ((m = ADD_RECIPIENT_PERMISSION.matcher(command)).matches()) {
      contoso.addRecipientPermission(m.group(1), m.group(2), "SendAs");
    } else if ((m = SET_MAX_SEND_SIZE.matcher(command)).matches()) {
      contoso.mailbox(m.group(1)).maxSendSize(Long.parseLong(m.group(2)) * 1024 * 1024);
    } else {
      throw new AssertionError("not a command these tests know: " + command);
    }
  }

  private static Diagnosis refused(GraphMailboxConnector connector, OutgoingMessage message,
      Class<? extends MailboxException> type) {
    Throwable t = catchThrowable(() -> connector.send(message));
    assertThat(t).isInstanceOf(type);
    Secrets.assertClean(t);
    return ((MailboxException) t).diagnosis().orElseThrow();
  }

  private static Mailbox user(String name) {
    return contoso.addUser(name + "@contoso.com", "Pw-" + name + "-1!").mailbox();
  }

  @Test
  void appOnly_sendingAsAnotherAddress_isErrorSendAsDenied_diagnosedAsSendAs_andTheCommandFixesIt() {
    Mailbox clerk = user("clerk");
    Mailbox ceo = user("ceo");
    Mailbox customer = user("customer");
    OutgoingMessage asCeo = OutgoingMessage.builder().from(EmailAddress.of(ceo.address())).to(customer.address())
        .subject("From the CEO").text("Hello.").build();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, daemon);
        GraphMailboxConnector connector = GraphApps.connector(m365, c, clerk.address()).build()) {
      Diagnosis d = refused(connector, asCeo, MailboxAuthenticationException.class);
      assertThat(d.setupStep()).isEqualTo(SetupStep.SEND_AS_PERMISSION);
      assertThat(d.serviceCode()).isEqualTo("ErrorSendAsDenied");
      assertThat(d.retryable()).isFalse();
      assertThat(d.command()).contains("Add-RecipientPermission -Identity " + ceo.address() + " -Trustee "
          + clerk.address() + " -AccessRights SendAs");
      assertThat(customer.messages("Inbox")).isEmpty();
      run(d);
      connector.send(asCeo);
    }
    assertThat(customer.messages("Inbox")).extracting(StoredMail::subject).containsExactly("From the CEO");
  }

  @Test
  void delegated_sendingAsAnotherAddress_namesTheSignedInUserAsTrustee() {
    Mailbox dana = user("dana");
    Mailbox sales = user("sales");
    Mailbox customer = user("buyer");
    Secrets.secret("Pw-dana-1!");
    Application app = contoso.registerApp("Desk sender").allowPublicClientFlows(true);
    app.addDelegatedPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send");
    app.grantAdminConsent();
    OutgoingMessage asSales = OutgoingMessage.builder().from(EmailAddress.of(sales.address())).to(customer.address())
        .subject("Offer").text("Our offer.").build();
    try (CredentialStrategy c = CredentialStrategy.usernamePassword(Tenants.app(m365, contoso, app), dana.address(),
            "Pw-dana-1!".toCharArray()).build();
        GraphMailboxConnector connector = GraphApps.connector(m365, c, dana.address()).build()) {
      Diagnosis d = refused(connector, asSales, MailboxAuthenticationException.class);
      assertThat(d.setupStep()).isEqualTo(SetupStep.SEND_AS_PERMISSION);
      assertThat(d.command()).contains("Add-RecipientPermission -Identity " + sales.address() + " -Trustee "
          + dana.address() + " -AccessRights SendAs");
      run(d);
      connector.send(asSales);
    }
    assertThat(customer.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Offer");
  }

  @Test
  void sendMail_overTheMailboxsMaxSendSize_isErrorMessageSizeExceeded_diagnosedAsTheMaximumSendSize() {
    Mailbox reports = user("reports");
    Mailbox customer = user("reader");
    reports.maxSendSize(64 * 1024);
    OutgoingMessage big = OutgoingMessage.builder().to(customer.address()).subject("Report").text("Attached.")
        .attach(OutgoingAttachment.bytes("report.bin", "application/octet-stream", new byte[100 * 1024])).build();
    m365.clearRequests();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, daemon);
        GraphMailboxConnector connector = GraphApps.connector(m365, c, reports.address()).build()) {
      Diagnosis d = refused(connector, big, MailboxException.class);
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAX_SEND_SIZE);
      assertThat(d.serviceCode()).isEqualTo("ErrorMessageSizeExceeded");
      assertThat(d.retryable()).isFalse();
      assertThat(d.command()).contains("Set-Mailbox -Identity " + reports.address() + " -MaxSendSize 150MB");
      assertThat(m365.requests("graph")).filteredOn(r -> r.path().endsWith("/sendMail")).hasSize(1);
      run(d);
      connector.send(big);
    }
    assertThat(customer.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Report");
  }

  @Test
  void draftWithAnUploadSession_overMaxSendSize_isRefusedAsTheUploadEnds_andTheDraftIsDeleted() {
    Mailbox scans = user("scans");
    Mailbox customer = user("archive");
    scans.maxSendSize(1024 * 1024);
    OutgoingMessage big = OutgoingMessage.builder().to(customer.address()).subject("Scan").text("The scan.")
        .attach(OutgoingAttachment.bytes("scan.bin", "application/octet-stream", new byte[FOUR_MEGABYTES])).build();
    m365.clearRequests();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, daemon);
        GraphMailboxConnector connector = GraphApps.connector(m365, c, scans.address()).build()) {
      Diagnosis d = refused(connector, big, MailboxException.class);
      assertThat(d.setupStep()).isEqualTo(SetupStep.MAX_SEND_SIZE);
      assertThat(m365.requests("graph")).filteredOn(r -> r.path().contains("/attachmentSessions/"))
          .extracting(r -> r.errorCode()).as("the upload's last range refused").endsWith("ErrorMessageSizeExceeded");
      assertThat(m365.requests("graph")).noneMatch(r -> r.path().endsWith("/send"));
      assertThat(scans.messages("Drafts")).as("the refused draft").isEmpty();
      run(d);
      connector.send(big);
    }
    assertThat(customer.messages("Inbox")).extracting(StoredMail::subject).containsExactly("Scan");
    assertThat(scans.messages("Drafts")).isEmpty();
  }

  @Test
  void draftSentAsAnotherAddress_isErrorSendAsDenied_andTheDraftIsDeleted() {
    Mailbox clerk = user("filer");
    Mailbox boss = user("boss");
    Mailbox customer = user("client");
    OutgoingMessage asBoss = OutgoingMessage.builder().from(EmailAddress.of(boss.address())).to(customer.address())
        .subject("Contract").text("Signed.")
        .attach(OutgoingAttachment.bytes("contract.pdf", "application/pdf", new byte[FOUR_MEGABYTES])).build();
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, daemon);
        GraphMailboxConnector connector = GraphApps.connector(m365, c, clerk.address()).build()) {
      Diagnosis d = refused(connector, asBoss, MailboxAuthenticationException.class);
      assertThat(d.setupStep()).isEqualTo(SetupStep.SEND_AS_PERMISSION);
      assertThat(d.command()).contains("Add-RecipientPermission -Identity " + boss.address() + " -Trustee "
          + clerk.address() + " -AccessRights SendAs");
      assertThat(clerk.messages("Drafts")).isEmpty();
    }
    assertThat(customer.messages("Inbox")).isEmpty();
  }
}
