package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.AttachmentInfo;
import org.o365mail.FolderRef;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.graph.internal.Governor;
import org.o365mail.graph.internal.GraphAuthentication;
import org.o365mail.graph.internal.GraphTransport;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.StoredMail;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * Streams are bounded by inactivity, not by a total deadline: with a connector timeout of 1 s, a {@code $value} that
 * trickles in for longer than that but never pauses for as long is read whole, and one that stalls fails within
 * about the timeout. The testkit's {@code Faults.graphBodyTrickle} and {@code graphBodyStall} shape the bodies.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class GraphStreamTimeoutsTest {
  static final Duration TIMEOUT = Duration.ofSeconds(1);

  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Tenant contoso;
  static Mailbox mailbox;
  static StoredMail big;
  static byte[] attachment;

  @BeforeAll
  static void model() {
    m365 = M365.tenant();
    contoso = m365.createTenant("contoso.com");
    mailbox = contoso.addSharedMailbox("archive@contoso.com");
    big = mailbox.deliver(TestMessages.ofSize("scanner@contoso.com", mailbox.address(), "Big scan", 96 * 1024));
    attachment = new byte[48 * 1024];
    new Random(7).nextBytes(attachment);
    mailbox.deliver(TestMessages.withAttachment("scanner@contoso.com", mailbox.address(), "Scan", "See the scan.",
        "scan.bin", "application/octet-stream", attachment));
  }

  private static GraphMailboxConnector connector(CredentialStrategy credential) {
    return GraphApps.connector(m365, credential, mailbox.address()).timeout(TIMEOUT).build();
  }

  private static MessageSummary find(GraphMailboxConnector connector, String subject) {
    return connector.listMessages(FolderRef.INBOX).stream().filter(m -> m.subject().equals(subject)).findFirst()
        .orElseThrow();
  }

  @Test
  void mimeValue_slowerThanTheTimeoutButNeverSilentThatLong_isReadWholeAndByteExact() {
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Reader", "Mail.Read"));
        GraphMailboxConnector connector = connector(c)) {
      MessageSummary m = find(connector, "Big scan");
      // 96 KiB in 12 KiB steps, 300 ms apart: about 2.4 s in all, never 1 s without a byte
      m365.faults().graphBodyTrickle(12 * 1024, Duration.ofMillis(300));
      long started = System.nanoTime();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long copied = connector.writeMime(m.id(), out);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertThat(tookMillis).as("the body took longer than the connector's timeout").isGreaterThan(TIMEOUT.toMillis());
      assertThat(out.toByteArray()).isEqualTo(mailbox.mime(big));
      assertThat(copied).isEqualTo(out.size());
    }
  }

  @Test
  void attachmentValue_slowerThanTheTimeoutButNeverSilentThatLong_isReadWholeAndByteExact() throws Exception {
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Reader", "Mail.Read"));
        GraphMailboxConnector connector = connector(c)) {
      MessageSummary m = find(connector, "Scan");
      AttachmentInfo a = connector.listAttachments(m.id()).get(0);
      m365.faults().graphBodyTrickle(8 * 1024, Duration.ofMillis(300));
      long started = System.nanoTime();
      byte[] read;
      try (InputStream in = connector.openAttachment(m.id(), a.id())) {
        read = in.readAllBytes();
      }
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThan(TIMEOUT.toMillis());
      assertThat(read).isEqualTo(attachment);
    }
  }

  @Test
  void mimeValue_stalledLongerThanTheTimeout_failsSoonWithAMailboxException() {
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Reader", "Mail.Read"));
        GraphMailboxConnector connector = connector(c)) {
      MessageSummary m = find(connector, "Big scan");
      m365.faults().graphBodyStall(16 * 1024, Duration.ofSeconds(30));
      long started = System.nanoTime();
      MailboxException e = catchThrowableOfType(MailboxException.class,
          () -> connector.writeMime(m.id(), new ByteArrayOutputStream()));
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      assertThat(e).as("a stalled stream fails").isNotNull();
      assertThat(tookMillis).as("within about the timeout, not the 30 s stall").isLessThan(10_000);
      assertThat(e.getMessage()).contains("reading the MIME of message " + m.id().value() + " failed");
      Throwable timeout = e;
      while (timeout != null && !(timeout instanceof SocketTimeoutException)) {
        timeout = timeout.getCause();
      }
      assertThat(timeout).isNotNull();
      assertThat(timeout.getMessage()).contains("Graph sent no bytes of the MIME of message").contains("for 1 s");
    }
  }

  /** Kiota's client comes with a 100 s total call timeout, which would cut any body taking longer; none is left. */
  @Test
  void transport_boundsInactivityOnly_noTotalCallTimeout() {
    try (CredentialStrategy c = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Plain", "Mail.Read"))) {
      URI base = URI.create(m365.graphBaseUrl());
      GraphAuthentication auth = new GraphAuthentication(c, base, Set.of(), "Mail.ReadWrite", "Mail.Send");
      try (GraphTransport first = new GraphTransport(base, auth, new Governor(4, 8, Duration.ofSeconds(60), auth),
              m365.sslContext(), TIMEOUT);
          GraphTransport pooled = new GraphTransport(base, auth, new Governor(4, 8, Duration.ofSeconds(60), auth),
              TIMEOUT, first)) {
        for (GraphTransport t : new GraphTransport[] {first, pooled}) {
          assertThat(t.http().callTimeoutMillis()).as("total call timeout").isZero();
          assertThat(t.http().readTimeoutMillis()).isEqualTo(TIMEOUT.toMillis());
          assertThat(t.http().writeTimeoutMillis()).isEqualTo(TIMEOUT.toMillis());
          assertThat(t.http().connectTimeoutMillis()).isEqualTo(TIMEOUT.toMillis());
        }
      }
    }
  }
}
