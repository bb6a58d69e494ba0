package org.o365mail.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.DeleteMode;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.Page;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.WellKnownFolder;

/**
 * What every {@link MailboxConnector} promises, as JUnit 5 tests any implementation can inherit: listing and paging,
 * incremental sync, message content, folders, moves and deletes, flags, sending, use from several threads, closing
 * and argument checks. The
 * suite knows nothing of the mailbox behind the connector: a subclass supplies a {@link Fixture} for each test, an
 * empty mailbox it can put folders and messages into and a connector on it. The suite runs against the SDK's
 * {@link InMemoryMailboxConnector}, its Graph and IMAP connectors (on the testkit's local tenant), and anything users
 * write: a connector of their own, a decorator over ours, or ours against their own test server.
 *
 * <pre>{@code
 * class CachingConnectorContractTest extends MailboxConnectorContract {
 *   @Override
 *   protected Fixture newFixture() {
 *     InMemoryMailboxConnector mailbox = InMemoryMailboxConnector.create("box@contoso.com");
 *     return new Fixture() {
 *       public void createFolder(String path) {
 *         mailbox.createFolder(FolderRef.path(path));
 *       }
 *
 *       public void deliver(String folder, byte[] rfc822, Instant receivedAt, boolean read) {
 *         mailbox.deliver(FolderRef.path(folder), rfc822, receivedAt, read);
 *       }
 *
 *       public MailboxConnector connect() {
 *         return new CachingConnector(mailbox); // the connector under test
 *       }
 *
 *       public Set<Capability> capabilities() {
 *         return EnumSet.of(Capability.SEND);
 *       }
 *     };
 *   }
 * }
 * }</pre>
 *
 * <p>Each test calls {@link #newFixture()} once, seeds the mailbox, calls {@link Fixture#connect()} once, and closes
 * the connector and then the fixture when it ends. Tests do not share mailboxes, so a fixture may be handed out from
 * a shared server. Assertions are JUnit's own; the suite needs nothing but the JUnit Jupiter API and the SDK's core.
 * Received times are whole seconds within the last day. Each test has two minutes.
 *
 * <p>Instances are created by JUnit, one per test; the class holds no state shared between tests and is as
 * thread-safe as the fixture it is given.
 */
@Timeout(120)
public abstract class MailboxConnectorContract {
  private static final DateTimeFormatter RFC_5322_DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

  private Fixture fixture;
  private MailboxConnector connector;
  private final Instant base = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofHours(6));

  /** For subclasses, which JUnit instantiates once per test. */
  protected MailboxConnectorContract() {}

  /** Creates the fixture for one test: an empty mailbox of its own. */
  protected abstract Fixture newFixture();

  /**
   * One empty mailbox for one test and a way to reach it. The mailbox starts with the well-known folders (at least
   * Inbox, Sent Items, Deleted Items, Drafts and Archive) and no messages.
   */
  public interface Fixture extends AutoCloseable {
    /** Creates a folder and any missing parents, such as {@code Inbox/Invoices/2026}, without the connector. */
    void createFolder(String path);

    /**
     * Puts an RFC 822 message (CRLF line ends) into a folder, as if it had arrived, without the connector.
     *
     * @param folder a path such as {@code Inbox} or {@code Inbox/Invoices}; the folder exists
     * @param receivedAt when the mailbox received it (whole seconds)
     * @param read whether it is marked read
     */
    void deliver(String folder, byte[] rfc822, Instant receivedAt, boolean read);

    /** A connector on this mailbox; called at most once per test, and closed by the test. */
    MailboxConnector connect();

    /** The optional capabilities of the connector; tests of the others are skipped. Default: all of them. */
    default Set<Capability> capabilities() {
      return EnumSet.allOf(Capability.class);
    }

    /** Releases what the fixture holds, after the connector is closed. Default: nothing. */
    @Override
    default void close() {}
  }

  /** What a connector may leave out. */
  public enum Capability {
    /** {@link MailboxConnector#send} delivers and keeps a copy in Sent Items when asked to. */
    SEND,
    /** {@link MailboxConnector#listAttachments} and {@link MailboxConnector#openAttachment} see MIME attachments. */
    ATTACHMENTS
  }

  @BeforeEach
  final void openFixture() {
    fixture = newFixture();
    assertNotNull(fixture, "newFixture() returned null");
  }

  @AfterEach
  final void closeFixture() throws Exception {
    try {
      if (connector != null) {
        connector.close();
      }
    } finally {
      fixture.close();
    }
  }

  /** The connector of this test, connected on first use. */
  protected final MailboxConnector connector() {
    if (connector == null) {
      connector = fixture.connect();
      assertNotNull(connector, "Fixture.connect() returned null");
    }
    return connector;
  }

  /** The fixture of this test. */
  protected final Fixture fixture() {
    return fixture;
  }

  // ----- seeding -----

  /** A plain-text RFC 822 message with CRLF line ends and a unique {@code Message-ID}. */
  protected static byte[] textMessage(String subject, String body) {
    return (headers(subject, "text/plain; charset=UTF-8") + "\r\n" + body + "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  private static String headers(String subject, String contentType) {
    return "From: Contract Sender <sender@fabrikam.com>\r\n"
        + "To: <recipient@contoso.com>\r\n"
        + "Subject: " + subject + "\r\n"
        + "Date: " + RFC_5322_DATE.format(Instant.now()) + "\r\n"
        + "Message-ID: <" + UUID.randomUUID() + "@contract.example>\r\n"
        + "MIME-Version: 1.0\r\n"
        + "Content-Type: " + contentType + "\r\n";
  }

  private Instant minute(int n) {
    return base.plus(Duration.ofMinutes(n));
  }

  /** Delivers {@code count} unread text messages {@code prefix 0..count-1} to {@code folder}, a minute apart. */
  private List<byte[]> seed(String folder, String prefix, int count, int firstMinute) {
    List<byte[]> seeded = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte[] mime = textMessage(prefix + " " + i, "Body of " + prefix + " " + i);
      fixture.deliver(folder, mime, minute(firstMinute + i), false);
      seeded.add(mime);
    }
    return seeded;
  }

  private static List<MessageSummary> all(MailboxConnector c, FolderRef folder) {
    return c.listMessages(folder, ListOptions.defaults().pageSize(100)).stream().toList();
  }

  private static Map<String, MessageSummary> bySubject(MailboxConnector c, FolderRef folder) {
    Map<String, MessageSummary> found = new LinkedHashMap<>();
    for (MessageSummary s : all(c, folder)) {
      assertEquals(null, found.put(s.subject(), s), () -> "listed twice: " + s.subject());
    }
    return found;
  }

  private static List<String> subjects(List<MessageSummary> messages) {
    return messages.stream().map(MessageSummary::subject).toList();
  }

  private static byte[] read(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void assertSortedOldestFirst(List<MessageSummary> messages) {
    for (int i = 1; i < messages.size(); i++) {
      Instant before = messages.get(i - 1).receivedAt();
      Instant after = messages.get(i).receivedAt();
      assertFalse(after.isBefore(before), "oldest first, but " + after + " follows " + before);
    }
  }

  private static void assertSortedNewestFirst(List<MessageSummary> messages) {
    for (int i = 1; i < messages.size(); i++) {
      Instant before = messages.get(i - 1).receivedAt();
      Instant after = messages.get(i).receivedAt();
      assertFalse(after.isAfter(before), "newest first, but " + after + " follows " + before);
    }
  }

  // ----- identity -----

  @Test
  void mailboxAndProtocol_sayWhatTheConnectorReaches() {
    MailboxConnector c = connector();
    assertNotNull(c.mailbox());
    assertTrue(c.mailbox().contains("@"), () -> "an address: " + c.mailbox());
    assertNotNull(c.protocol());
    assertNotNull(c.protocol(), "protocol()");
  }

  @Test
  void checkConnection_isOk_forAMailboxTheConnectorReaches() {
    ConnectionCheck check = connector().checkConnection();
    assertTrue(check.ok(), () -> "check: " + check);
    assertTrue(check.diagnosis().isEmpty(), () -> "no diagnosis when ok: " + check);
  }

  // ----- folders -----

  @Test
  void listFolders_hasTheWellKnownFolders_andEachFoldersChildren() {
    fixture.createFolder("Inbox/Invoices/2026");
    List<MailFolder> top = connector().listFolders();
    Map<String, MailFolder> byName = new LinkedHashMap<>();
    top.forEach(f -> byName.put(f.displayName(), f));
    for (String name : List.of("Inbox", "Sent Items", "Deleted Items", "Drafts")) {
      assertTrue(byName.containsKey(name), () -> name + " among the top-level folders " + byName.keySet());
    }
    MailFolder inbox = byName.get("Inbox");
    assertEquals(Optional.of(WellKnownFolder.INBOX), inbox.wellKnown());
    assertEquals("Inbox", inbox.path());
    MailFolder invoices = inbox.children().stream().filter(f -> f.displayName().equals("Invoices")).findFirst()
        .orElseGet(() -> fail("Inbox/Invoices among the Inbox's children " + inbox.children()));
    assertEquals("Inbox/Invoices", invoices.path());
    assertEquals(List.of("Inbox/Invoices/2026"), invoices.children().stream().map(MailFolder::path).toList());
  }

  @Test
  void folder_resolvesWellKnownNamesPathsAndIds() {
    fixture.createFolder("Inbox/Invoices/2026");
    MailboxConnector c = connector();
    MailFolder inbox = c.folder(FolderRef.INBOX);
    assertEquals("Inbox", inbox.path());
    assertEquals(Optional.of(WellKnownFolder.INBOX), inbox.wellKnown());
    assertEquals(Optional.of(WellKnownFolder.SENT_ITEMS), c.folder(FolderRef.path("sentitems")).wellKnown());
    MailFolder year = c.folder(FolderRef.path("Inbox/Invoices/2026"));
    assertEquals("2026", year.displayName());
    assertEquals("Inbox/Invoices/2026", year.path());
    assertEquals("Inbox/Invoices/2026", c.folder(year.ref()).path(), "looked up by its id");
  }

  @Test
  void folder_throwsFolderNotFound_namingTheMissingFolder() {
    FolderNotFoundException e =
        assertThrows(FolderNotFoundException.class, () -> connector().folder(FolderRef.path("Inbox/Nope")));
    assertTrue(String.valueOf(e.getMessage()).contains("Inbox/Nope"), () -> "names the folder: " + e.getMessage());
  }

  @Test
  void everyFolderArgument_thatDoesNotExist_throwsFolderNotFound() {
    fixture.deliver("Inbox", textMessage("Stays", "x"), minute(1), false);
    MailboxConnector c = connector();
    FolderRef missing = FolderRef.path("Inbox/Missing");
    MessageId id = all(c, FolderRef.INBOX).get(0).id();
    assertThrows(FolderNotFoundException.class, () -> c.listMessages(missing).stream().count(), "listMessages");
    assertThrows(FolderNotFoundException.class, () -> c.sync(missing, SyncState.BEGINNING, 10), "sync");
    assertThrows(FolderNotFoundException.class, () -> c.move(id, missing), "move");
    assertEquals(List.of("Stays"), subjects(all(c, FolderRef.INBOX)), "a failed move leaves the message");
  }

  @Test
  void createFolder_createsMissingParents_andReturnsAnExistingFolder() {
    MailboxConnector c = connector();
    MailFolder created = c.createFolder(FolderRef.path("Inbox/Processed/2026"));
    assertEquals("Inbox/Processed/2026", created.path());
    assertEquals("2026", created.displayName());
    assertEquals("Inbox/Processed", c.folder(FolderRef.path("Inbox/Processed")).path());
    MailFolder again = c.createFolder(FolderRef.path("Inbox/Processed/2026"));
    assertEquals(created.path(), again.path());
    assertEquals(created.id(), again.id());
    MailFolder inbox = c.listFolders().stream().filter(f -> f.displayName().equals("Inbox")).findFirst().orElseThrow();
    List<MailFolder> processed = inbox.children().stream().filter(f -> f.displayName().equals("Processed")).toList();
    assertEquals(1, processed.size(), () -> "created once: " + inbox.children());
    assertEquals(List.of("Inbox/Processed/2026"), processed.get(0).children().stream().map(MailFolder::path).toList());
  }

  // ----- listing -----

  @Test
  void listMessages_byPage_handsOutEveryMessageOnce_inPagesNoLargerThanAsked() {
    seed("Inbox", "Paged", 23, 0);
    List<Page<MessageSummary>> pages = new ArrayList<>();
    connector().listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(5)).byPage().forEach(pages::add);
    Set<MessageId> ids = new HashSet<>();
    List<MessageSummary> listed = new ArrayList<>();
    for (int i = 0; i < pages.size(); i++) {
      Page<MessageSummary> page = pages.get(i);
      assertTrue(page.items().size() <= 5, "page " + i + " has " + page.items().size() + " messages");
      assertEquals(i < pages.size() - 1, page.continuationToken().isPresent(), "a token on all pages but the last");
      for (MessageSummary s : page.items()) {
        assertTrue(ids.add(s.id()), () -> "listed twice: " + s.subject());
        listed.add(s);
      }
    }
    assertTrue(pages.size() >= 5, "23 messages in pages of 5 take at least 5 pages, took " + pages.size());
    assertEquals(23, listed.size());
    assertSortedNewestFirst(listed);
    assertEquals("Paged 22", listed.get(0).subject());
    assertEquals("Paged 0", listed.get(22).subject());
  }

  @Test
  void listMessages_isLazy_andEachIterationFetchesAgain() {
    seed("Inbox", "Lazy", 3, 0);
    MailboxConnector c = connector();
    var listing = c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(2));
    assertEquals(3, listing.stream().count());
    fixture.deliver("Inbox", textMessage("Later", "x"), minute(10), false);
    assertEquals(List.of("Later", "Lazy 2", "Lazy 1", "Lazy 0"), subjects(listing.stream().toList()));
  }

  @Test
  void listMessages_oldestFirst_unreadOnly_andReceivedSince_filterAndOrder() {
    seed("Inbox", "Filtered", 8, 0);
    fixture.deliver("Inbox", textMessage("Already read", "x"), minute(20), true);
    MailboxConnector c = connector();
    List<MessageSummary> oldest = c.listMessages(FolderRef.INBOX, ListOptions.defaults().oldestFirst().pageSize(3))
        .stream().toList();
    assertEquals(List.of("Filtered 0", "Filtered 1", "Filtered 2"), subjects(oldest.subList(0, 3)));
    assertEquals("Already read", oldest.get(8).subject());

    List<MessageSummary> unread = c.listMessages(FolderRef.INBOX, ListOptions.defaults().unreadOnly(true)).stream()
        .toList();
    assertEquals(8, unread.size());
    assertTrue(unread.stream().noneMatch(MessageSummary::read), "only unread ones");

    List<MessageSummary> recent = c.listMessages(FolderRef.INBOX, ListOptions.defaults().receivedSince(minute(5)))
        .stream().toList();
    assertEquals(List.of("Already read", "Filtered 7", "Filtered 6", "Filtered 5"), subjects(recent),
        "received at or after the instant, newest first");
  }

  @Test
  void listMessages_ofAnEmptyFolder_isEmpty() {
    fixture.createFolder("Inbox/Empty");
    assertEquals(0, connector().listMessages(FolderRef.path("Inbox/Empty")).stream().count());
  }

  @Test
  void summary_carriesTheHeaders_andMessageFindsItById() {
    byte[] mime = textMessage("Invoice 4711", "Please pay.");
    fixture.deliver("Inbox", mime, minute(3), false);
    MailboxConnector c = connector();
    MessageSummary s = all(c, FolderRef.INBOX).get(0);
    String headers = new String(mime, StandardCharsets.UTF_8);
    String messageId = headers.substring(headers.indexOf("Message-ID: ") + 12, headers.indexOf(">\r\n", headers
        .indexOf("Message-ID: ")) + 1);
    assertEquals(Optional.of(messageId), s.internetMessageId());
    assertEquals("sender@fabrikam.com", s.from().orElseThrow().address().toLowerCase(Locale.ROOT));
    assertEquals(Optional.of("Contract Sender"), s.from().orElseThrow().displayName());
    assertEquals(List.of("recipient@contoso.com"),
        s.to().stream().map(a -> a.address().toLowerCase(Locale.ROOT)).toList());
    assertEquals("Invoice 4711", s.subject());
    assertEquals(minute(3), s.receivedAt());
    assertEquals("Inbox", s.folder());
    assertFalse(s.read());
    assertFalse(s.hasAttachments());
    assertTrue(s.size().isEmpty() || s.size().getAsLong() == mime.length,
        () -> "size unknown or the MIME's " + mime.length + ": " + s.size());

    MessageSummary again = c.message(s.id());
    assertEquals(s.id(), again.id());
    assertEquals(s.subject(), again.subject());
    assertEquals(s.receivedAt(), again.receivedAt());
  }

  @Test
  void messages_leavesOutMessagesThatAreGone_inTheOrderAsked() {
    seed("Inbox", "Many", 4, 0);
    MailboxConnector c = connector();
    Map<String, MessageSummary> listed = bySubject(c, FolderRef.INBOX);
    MessageId gone = listed.get("Many 1").id();
    c.delete(gone, DeleteMode.PERMANENT);
    List<MessageId> asked = List.of(listed.get("Many 3").id(), gone, listed.get("Many 0").id(),
        listed.get("Many 2").id());
    Map<MessageId, MessageSummary> found = c.messages(asked);
    assertEquals(List.of(asked.get(0), asked.get(2), asked.get(3)), List.copyOf(found.keySet()));
    assertEquals("Many 0", found.get(asked.get(2)).subject());
  }

  // ----- content -----

  @Test
  void openMime_streamsTheMessageByteForByte() {
    byte[] big = textMessage("Large", "0123456789abcdef".repeat(40_000));
    byte[] small = textMessage("Small", "tiny");
    fixture.deliver("Inbox", big, minute(1), false);
    fixture.deliver("Inbox", small, minute(2), false);
    MailboxConnector c = connector();
    Map<String, MessageSummary> listed = bySubject(c, FolderRef.INBOX);
    assertArrayEquals(big, read(c.openMime(listed.get("Large").id())));
    assertArrayEquals(small, read(c.openMime(listed.get("Small").id())));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertEquals(big.length, c.writeMime(listed.get("Large").id(), out));
    assertArrayEquals(big, out.toByteArray());
  }

  @Test
  void forEachMime_handsOverEveryMessage_inTheOrderGiven() {
    List<byte[]> seeded = seed("Inbox", "Each", 5, 0);
    MailboxConnector c = connector();
    List<MessageSummary> oldestFirst = c.listMessages(FolderRef.INBOX, ListOptions.defaults().oldestFirst()).stream()
        .toList();
    List<String> handed = new ArrayList<>();
    c.forEachMime(oldestFirst, (summary, mime) -> {
      int i = handed.size();
      handed.add(summary.subject());
      assertArrayEquals(seeded.get(i), mime.readAllBytes(), summary.subject());
    });
    assertEquals(List.of("Each 0", "Each 1", "Each 2", "Each 3", "Each 4"), handed);
  }

  @Test
  void attachments_areListedAndStreamed() {
    assumeTrue(fixture.capabilities().contains(Capability.ATTACHMENTS), "the connector lists attachments");
    byte[] pdf = new byte[50_000];
    new java.util.Random(17).nextBytes(pdf);
    String boundary = "contract-" + UUID.randomUUID();
    String mime = headers("With attachment", "multipart/mixed; boundary=\"" + boundary + "\"") + "\r\n"
        + "--" + boundary + "\r\n"
        + "Content-Type: text/plain; charset=UTF-8\r\n\r\nSee attached.\r\n"
        + "--" + boundary + "\r\n"
        + "Content-Type: application/pdf; name=\"invoice.pdf\"\r\n"
        + "Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n"
        + "Content-Transfer-Encoding: base64\r\n\r\n"
        + Base64.getMimeEncoder(76, "\r\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pdf) + "\r\n"
        + "--" + boundary + "--\r\n";
    fixture.deliver("Inbox", mime.getBytes(StandardCharsets.UTF_8), minute(1), false);
    MailboxConnector c = connector();
    MessageSummary s = all(c, FolderRef.INBOX).get(0);
    assertTrue(s.hasAttachments(), "hasAttachments()");
    List<AttachmentInfo> attachments = c.listAttachments(s.id());
    assertEquals(1, attachments.size(), () -> "one attachment: " + attachments);
    AttachmentInfo a = attachments.get(0);
    assertEquals("invoice.pdf", a.name());
    assertTrue(a.contentType().startsWith("application/pdf"), a.contentType());
    assertFalse(a.inline(), "inline()");
    assertArrayEquals(pdf, read(c.openAttachment(s.id(), a.id())));
  }

  // ----- flags, moves and deletes -----

  @Test
  void markRead_setsAndClearsTheReadFlag() {
    seed("Inbox", "Flag", 3, 0);
    MailboxConnector c = connector();
    Map<String, MessageSummary> listed = bySubject(c, FolderRef.INBOX);
    MessageId id = listed.get("Flag 1").id();
    c.markRead(id, true);
    assertTrue(c.message(id).read());
    assertEquals(List.of("Flag 2", "Flag 0"),
        subjects(c.listMessages(FolderRef.INBOX, ListOptions.defaults().unreadOnly(true)).stream().toList()));
    c.markRead(id, false);
    assertFalse(c.message(id).read());
    c.markRead(List.of(listed.get("Flag 0").id(), listed.get("Flag 2").id()), true);
    assertEquals(List.of("Flag 1"),
        subjects(c.listMessages(FolderRef.INBOX, ListOptions.defaults().unreadOnly(true)).stream().toList()));
  }

  @Test
  void move_returnsTheIdInTheDestination_andTheMessageLeavesTheSource() {
    fixture.createFolder("Inbox/Processed");
    byte[] mime = textMessage("Move me", "moving");
    fixture.deliver("Inbox", mime, minute(1), false);
    fixture.deliver("Inbox", textMessage("Stay", "staying"), minute(2), false);
    MailboxConnector c = connector();
    MessageId id = bySubject(c, FolderRef.INBOX).get("Move me").id();
    MessageId moved = c.move(id, FolderRef.path("Inbox/Processed"));
    assertNotNull(moved);
    assertEquals(List.of("Stay"), subjects(all(c, FolderRef.INBOX)));
    List<MessageSummary> processed = all(c, FolderRef.path("Inbox/Processed"));
    assertEquals(List.of("Move me"), subjects(processed));
    assertEquals(moved, processed.get(0).id(), "the id move() returned is the one listed there");
    MessageSummary s = c.message(moved);
    assertEquals("Inbox/Processed", s.folder());
    assertEquals("Move me", s.subject());
    assertArrayEquals(mime, read(c.openMime(moved)));
  }

  @Test
  void moveMany_returnsOldToNewIds() {
    fixture.createFolder("Inbox/Done");
    seed("Inbox", "Bulk", 6, 0);
    MailboxConnector c = connector();
    List<MessageId> ids = all(c, FolderRef.INBOX).stream().map(MessageSummary::id).toList();
    Map<MessageId, MessageId> moved = c.move(ids.subList(0, 4), FolderRef.path("Inbox/Done"));
    assertEquals(ids.subList(0, 4), List.copyOf(moved.keySet()));
    Set<MessageId> listedThere = new HashSet<>(all(c, FolderRef.path("Inbox/Done")).stream()
        .map(MessageSummary::id).toList());
    assertEquals(listedThere, new HashSet<>(moved.values()));
    assertEquals(2, all(c, FolderRef.INBOX).size());
  }

  @Test
  void delete_toDeletedItems_keepsTheMessageThere() {
    fixture.deliver("Inbox", textMessage("Delete me", "x"), minute(1), false);
    MailboxConnector c = connector();
    c.delete(all(c, FolderRef.INBOX).get(0).id(), DeleteMode.MOVE_TO_DELETED_ITEMS);
    assertEquals(List.of(), subjects(all(c, FolderRef.INBOX)));
    assertEquals(List.of("Delete me"), subjects(all(c, FolderRef.DELETED_ITEMS)));
  }

  @Test
  void delete_permanently_removesTheMessage_andItsIdFindsNothing() {
    fixture.deliver("Inbox", textMessage("Purge me", "x"), minute(1), false);
    MailboxConnector c = connector();
    MessageId id = all(c, FolderRef.INBOX).get(0).id();
    c.delete(id, DeleteMode.PERMANENT);
    assertEquals(List.of(), subjects(all(c, FolderRef.INBOX)));
    assertEquals(List.of(), subjects(all(c, FolderRef.DELETED_ITEMS)));
    assertThrows(MessageNotFoundException.class, () -> c.message(id), "message");
    assertThrows(MessageNotFoundException.class, () -> read(c.openMime(id)), "openMime");
    assertThrows(MessageNotFoundException.class, () -> c.move(id, FolderRef.ARCHIVE), "move");
  }

  // ----- incremental sync -----

  @Test
  void sync_fromTheBeginning_handsOutEveryMessageOnce_inBoundedBatches_thenOnlyNewOnes() {
    seed("Inbox", "Old", 11, 0);
    MailboxConnector c = connector();
    List<String> seen = new ArrayList<>();
    SyncState state = SyncState.BEGINNING;
    SyncBatch batch;
    int rounds = 0;
    do {
      batch = c.sync(FolderRef.INBOX, state, 4);
      List<String> handed = subjects(batch.messages());
      assertTrue(handed.size() <= 4, () -> "at most maxMessages: " + handed);
      assertFalse(batch.resynced(), "resynced()");
      assertSortedOldestFirst(batch.messages());
      batch.messages().forEach(m -> seen.add(m.subject()));
      state = batch.next();
    } while (batch.hasMore() && ++rounds < 20);
    assertEquals(11, seen.size(), () -> "every message once: " + seen);
    assertEquals(11, new HashSet<>(seen).size(), () -> "every message once: " + seen);
    assertEquals(List.of(), subjects(c.sync(FolderRef.INBOX, state, 4).messages()), "nothing new");

    fixture.deliver("Inbox", textMessage("New A", "x"), minute(30), false);
    fixture.deliver("Inbox", textMessage("New B", "x"), minute(31), false);
    SyncBatch fresh = c.sync(FolderRef.INBOX, state, 50);
    assertEquals(List.of("New A", "New B"), subjects(fresh.messages()));
    assertFalse(fresh.hasMore(), "hasMore()");
    assertEquals(List.of(), subjects(c.sync(FolderRef.INBOX, fresh.next(), 50).messages()), "handed out once");
  }

  @Test
  void sync_fromNow_returnsNothing_thenOnlyLaterArrivals() {
    seed("Inbox", "Before", 3, 0);
    MailboxConnector c = connector();
    SyncBatch now = c.sync(FolderRef.INBOX, SyncState.NOW, 50);
    assertEquals(List.of(), subjects(now.messages()));
    assertFalse(now.hasMore(), "hasMore()");
    fixture.deliver("Inbox", textMessage("After", "x"), minute(30), false);
    SyncBatch later = c.sync(FolderRef.INBOX, now.next(), 50);
    assertEquals(List.of("After"), subjects(later.messages()));
    assertEquals(List.of(), subjects(c.sync(FolderRef.INBOX, later.next(), 50).messages()));
  }

  @Test
  void sync_seesAMessageMovedIn_asNew() {
    fixture.createFolder("Inbox/Watched");
    seed("Inbox", "Elsewhere", 1, 0);
    MailboxConnector c = connector();
    SyncBatch start = c.sync(FolderRef.path("Inbox/Watched"), SyncState.BEGINNING, 50);
    assertEquals(List.of(), subjects(start.messages()));
    c.move(all(c, FolderRef.INBOX).get(0).id(), FolderRef.path("Inbox/Watched"));
    assertEquals(List.of("Elsewhere 0"),
        subjects(c.sync(FolderRef.path("Inbox/Watched"), start.next(), 50).messages()));
  }

  // ----- sending -----

  @Test
  void send_keepsACopyInSentItems_whenAsked() {
    assumeTrue(fixture.capabilities().contains(Capability.SEND), "the connector sends");
    MailboxConnector c = connector();
    c.send(OutgoingMessage.builder().to("someone@fabrikam.com").subject("Kept copy").text("Sent by the contract.")
        .saveToSentItems(true).build());
    c.send(OutgoingMessage.builder().to("someone@fabrikam.com").subject("No copy").text("Sent by the contract.")
        .saveToSentItems(false).build());
    List<String> sent = subjects(all(c, FolderRef.SENT_ITEMS));
    assertTrue(sent.contains("Kept copy"), () -> "in Sent Items: " + sent);
    if (sent.contains("No copy")) {
      // Exchange keeps a copy of what is submitted over SMTP whatever the message says; nothing to assert
      assertEquals(2, sent.size(), () -> "each once: " + sent);
    }
  }

  // ----- threads -----

  @Test
  void isThreadSafe_threadsListingReadingAndMarkingAtOnce_allSeeTheWholeMailbox() throws Exception {
    List<byte[]> seeded = seed("Inbox", "Concurrent", 12, 0);
    long total = seeded.stream().mapToLong(b -> b.length).sum();
    MailboxConnector c = connector();
    List<MessageId> ids = all(c, FolderRef.INBOX).stream().map(MessageSummary::id).toList();
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Long>> futures = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int mine = t;
        futures.add(pool.submit(() -> {
          long bytes = 0;
          for (MessageSummary s : c.listMessages(FolderRef.INBOX, ListOptions.defaults().pageSize(5))) {
            bytes += read(c.openMime(s.id())).length;
          }
          for (int i = mine; i < ids.size(); i += threads) {
            c.markRead(ids.get(i), true);
          }
          return bytes;
        }));
      }
      for (Future<Long> f : futures) {
        assertEquals(total, f.get(90, TimeUnit.SECONDS), "each thread read every message whole");
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of(), subjects(c.listMessages(FolderRef.INBOX, ListOptions.defaults().unreadOnly(true))
        .stream().toList()), "every thread's marks kept");
  }

  // ----- closing -----

  @Test
  void close_isIdempotent_andLaterCallsFailClearly() {
    seed("Inbox", "Closed", 1, 0);
    MailboxConnector c = connector();
    MessageId id = all(c, FolderRef.INBOX).get(0).id();
    c.close();
    assertDoesNotThrow(c::close, "a second close()");
    assertFailsClosed(() -> c.listMessages(FolderRef.INBOX).stream().count(), "listMessages");
    assertFailsClosed(() -> c.message(id), "message");
    assertFailsClosed(() -> c.folder(FolderRef.INBOX), "folder");
    assertFailsClosed(() -> c.sync(FolderRef.INBOX, SyncState.BEGINNING, 10), "sync");
    assertFailsClosed(() -> c.markRead(id, true), "markRead");
  }

  private static void assertFailsClosed(Executable call, String what) {
    IllegalStateException e = assertThrows(IllegalStateException.class, call, what + " after close()");
    assertTrue(String.valueOf(e.getMessage()).contains("closed"), () -> what + ": says closed: " + e.getMessage());
  }

  // ----- argument checks -----

  @Test
  void nullArguments_areRefused_namingTheArgument() {
    seed("Inbox", "Args", 1, 0);
    MailboxConnector c = connector();
    MessageId id = all(c, FolderRef.INBOX).get(0).id();
    assertNamesArgument("folder", () -> c.folder(null));
    assertNamesArgument("path", () -> c.createFolder(null));
    assertNamesArgument("folder", () -> c.listMessages(null, ListOptions.defaults()));
    assertNamesArgument("options", () -> c.listMessages(FolderRef.INBOX, null));
    assertNamesArgument("id", () -> c.message(null));
    assertNamesArgument("id", () -> c.openMime(null));
    assertNamesArgument("id", () -> c.markRead((MessageId) null, true));
    assertNamesArgument("id", () -> c.move((MessageId) null, FolderRef.ARCHIVE));
    assertNamesArgument("destination", () -> c.move(id, null));
    assertNamesArgument("id", () -> c.delete(null, DeleteMode.PERMANENT));
    assertNamesArgument("mode", () -> c.delete(id, null));
    assertNamesArgument("message", () -> c.send(null));
    assertNamesArgument("folder", () -> c.sync(null, SyncState.BEGINNING, 10));
    assertNamesArgument("state", () -> c.sync(FolderRef.INBOX, null, 10));
    assertEquals(List.of("Args 0"), subjects(all(c, FolderRef.INBOX)), "refused calls change nothing");
  }

  @Test
  void sync_refusesMaxMessagesBelowOne_namingIt() {
    MailboxConnector c = connector();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> c.sync(FolderRef.INBOX, SyncState.BEGINNING, 0));
    assertTrue(String.valueOf(e.getMessage()).contains("maxMessages"), () -> "names maxMessages: " + e.getMessage());
  }

  private static void assertNamesArgument(String name, Executable call) {
    NullPointerException e = assertThrows(NullPointerException.class, call, "null " + name);
    assertNotEquals(null, e.getMessage(), "null " + name + ": the exception names the argument");
    assertTrue(e.getMessage().contains(name), () -> "null " + name + ": names it: " + e.getMessage());
  }
}
