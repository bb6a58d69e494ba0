package org.o365mail.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * What a connector does that only the local tenant's own records show, beside the fixture-agnostic contract every
 * connector passes ({@code org.o365mail.testing.MailboxConnectorContract} in o365-mail-testing): mail sent reaches
 * its recipients and Bcc at the service, and a mailbox the identity was given no access to is reached (Graph
 * app-only) or diagnosed (IMAP). A connector's test extends this class and says how to give an app access to a
 * mailbox and how to build a connector for it. Each test works in a mailbox of its own.
 */
@Timeout(120)
public abstract class TenantConnectorChecks {
  @RegisterExtension protected static final LocalTenantExtension M365 = LocalTenantExtension.create();

  private static final AtomicInteger MAILBOXES = new AtomicInteger();

  protected static LocalTenant m365;
  protected static Tenant contoso;

  @BeforeAll
  static void startTenant() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
  }

  /** Sets up the app registration(s) the connector will use in {@code tenant} (called once per test class). */
  protected abstract void configure(LocalTenant m365, Tenant tenant);

  /** Gives the configured identity access to {@code mailbox} (FullAccess for IMAP, nothing for app-only Graph...). */
  protected abstract void grantAccess(Tenant tenant, Mailbox mailbox);

  /** Whether the identity reaches a mailbox it was not granted (app-only Graph permissions reach every mailbox). */
  protected abstract boolean reachesMailboxesWithoutAGrant();

  /** A connector for {@code mailbox}. */
  protected abstract MailboxConnector connect(LocalTenant m365, Tenant tenant, Mailbox mailbox);

  /** A new user mailbox the connector's identity can reach. */
  protected Mailbox newMailbox() {
    ensureConfigured();
    Mailbox mailbox = contoso.addUser("box" + MAILBOXES.incrementAndGet() + "-" + getClass().getSimpleName().toLowerCase()
        + "@contoso.com", "Mailbox-Pw-1!").mailbox();
    grantAccess(contoso, mailbox);
    return mailbox;
  }

  private static final Set<String> CONFIGURED = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** Runs {@link #configure} once per test class and local tenant. */
  protected void ensureConfigured() {
    if (CONFIGURED.add(getClass().getName() + "@" + contoso.id())) {
      configure(m365, contoso);
    }
  }

  protected static Instant at(int minutesAgo) {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(minutesAgo));
  }

  protected static StoredMail deliver(Mailbox mailbox, String subject, int minutesAgo) {
    return mailbox.deliver("Inbox", TestMessages.text("sender@fabrikam.com", mailbox.address(), subject,
        "Body of " + subject), false, at(minutesAgo));
  }

  static byte[] read(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ----------------------------------------------------------------------------------------------

  @Test
  void send_deliversWithAttachment_andKeepsACopyInSentItems() {
    Mailbox sender = newMailbox();
    Mailbox recipient = newMailbox();
    byte[] report = "report,content\n1,2\n".repeat(5_000).getBytes(StandardCharsets.UTF_8);
    try (MailboxConnector c = connect(m365, contoso, sender)) {
      c.send(OutgoingMessage.builder()
          .to(recipient.address())
          .bcc("auditor@fabrikam.com")
          .subject("Nightly report")
          .text("Attached.")
          .attach(OutgoingAttachment.bytes("report.csv", "text/csv", report))
          .build());
    }
    StoredMail received = recipient.messages("Inbox").stream().filter(m -> m.subject().equals("Nightly report"))
        .findFirst().orElseThrow();
    String mime = new String(recipient.mime(received), StandardCharsets.UTF_8);
    assertThat(mime).contains("report.csv");
    assertThat(sender.messages("Sent Items")).extracting(StoredMail::subject).contains("Nightly report");
    assertThat(m365.outboundMail()).anySatisfy(o -> {
      assertThat(o.subject()).isEqualTo("Nightly report");
      assertThat(o.recipients()).contains("auditor@fabrikam.com");
    });
    try (MailboxConnector c = connect(m365, contoso, recipient)) {
      MessageSummary s = c.listMessages(FolderRef.INBOX).stream().filter(m -> m.subject().equals("Nightly report"))
          .findFirst().orElseThrow();
      AttachmentInfo a = c.listAttachments(s.id()).stream().filter(x -> x.name().equals("report.csv")).findFirst().orElseThrow();
      assertThat(read(c.openAttachment(s.id(), a.id()))).isEqualTo(report);
    }
  }

  @Test
  void checkConnection_passes_andAMailboxWithoutAGrantIsReachedOrDiagnosed() {
    Mailbox mailbox = newMailbox();
    try (MailboxConnector c = connect(m365, contoso, mailbox)) {
      ConnectionCheck check = c.checkConnection();
      assertThat(check.ok()).as("%s", check).isTrue();
      assertThat(check.detail()).contains(mailbox.address());
    }
    Mailbox foreign = contoso.addSharedMailbox("noaccess" + MAILBOXES.incrementAndGet() + "@contoso.com");
    try (MailboxConnector c = connect(m365, contoso, foreign)) {
      ConnectionCheck check = c.checkConnection();
      if (reachesMailboxesWithoutAGrant()) {
        assertThat(check.ok()).as("%s", check).isTrue();
      } else {
        assertThat(check.ok()).as("%s", check).isFalse();
        assertThat(check.diagnosis()).isPresent();
        assertThat(check.diagnosis().orElseThrow().fix()).isNotBlank();
      }
    }
  }
}
