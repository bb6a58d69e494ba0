package org.o365mail.imap;

import static java.util.Objects.requireNonNull;
import static org.o365mail.internal.ServiceText.printable;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.MimeUtility;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import org.eclipse.angus.mail.iap.Argument;
import org.eclipse.angus.mail.iap.ByteArray;
import org.eclipse.angus.mail.iap.CommandFailedException;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.protocol.BODYSTRUCTURE;
import org.eclipse.angus.mail.imap.protocol.ENVELOPE;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;
import org.eclipse.angus.mail.imap.protocol.INTERNALDATE;
import org.eclipse.angus.mail.imap.protocol.Status;
import org.eclipse.angus.mail.imap.protocol.UIDSet;
import org.o365mail.AttachmentInfo;
import org.o365mail.ConnectionCheck;
import org.o365mail.DeleteMode;
import org.o365mail.Diagnosis;
import org.o365mail.EmailAddress;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.ListOptions;
import org.o365mail.MailFolder;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.OutgoingMessage;
import org.o365mail.Page;
import org.o365mail.Paged;
import org.o365mail.Protocol;
import org.o365mail.SetupStep;
import org.o365mail.SyncBatch;
import org.o365mail.SyncState;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.imap.internal.BodyCursor;
import org.o365mail.imap.internal.BodyStream;
import org.o365mail.imap.internal.Folders;
import org.o365mail.imap.internal.ImapConnection;
import org.o365mail.imap.internal.ImapEndpoint;
import org.o365mail.imap.internal.ImapIds;
import org.o365mail.imap.internal.ImapSyncState;
import org.o365mail.imap.internal.KnownMessageIds;
import org.o365mail.imap.internal.MailboxSession;
import org.o365mail.imap.internal.Pii;
import org.o365mail.imap.internal.ReadAhead;
import org.o365mail.imap.internal.Summaries;
import org.o365mail.internal.Arguments;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Exchange Online mailbox over IMAP with SASL XOAUTH2, for imports: folders, listings, incremental sync with
 * (UIDVALIDITY, UID) checkpoints, MIME and attachments streamed, flags, moves and deletes, IDLE, and sending
 * through {@link SmtpSender}.
 *
 * <pre>{@code
 * try (ImapMailboxConnector inbox = ImapMailboxConnector.builder()
 *     .mailbox("invoices@contoso.com")
 *     .credential(CredentialStrategy.clientCredentials(app).secret(secret).build())
 *     .build()) {
 *   SyncBatch batch = inbox.sync(FolderRef.INBOX, checkpoint, 100);
 *   for (MessageSummary m : batch.messages()) {
 *     try (InputStream mime = inbox.openMime(m.id())) {
 *       store(m, mime);
 *     }
 *   }
 *   checkpoint = batch.next();
 * }
 * }</pre>
 *
 * <p><b>Connection.</b> One IMAP connection per connector, opened on first use and shared by every thread; the
 * connector is thread-safe and its operations take turns on the connection. Defaults are Exchange Online's in the
 * credential's cloud: {@code outlook.office365.com:993} with implicit TLS. Host names are always verified;
 * {@link Builder#startTls()} uses STARTTLS on port 143 instead, and {@link Builder#insecurePlaintextForTestsOnly()}
 * no TLS at all. The login is XOAUTH2 and nothing else, with {@code user=} the mailbox, so shared mailboxes work
 * with app-only and delegated tokens alike; the token passes {@link org.o365mail.auth.TokenPreflight} first. The
 * connection is replaced by a new login before the token's {@code exp} (minus {@link Builder#reauthMargin}), and an
 * operation whose connection is dropped or ended with {@code BYE ... AccessTokenExpired} runs again on a new one.
 * {@code Request is throttled. Suggested Backoff Time: N milliseconds}, which Exchange answers to the login or to any
 * later command ({@code NO} or {@code BAD}, often followed by {@code * BYE}), makes every connector of the JVM leave
 * that mailbox (and only that one) alone for N ms; the throttled command was not carried out, so the operation runs
 * again from its start on a new login, without counting against {@link Builder#maxAttempts}. Throttling is waited out
 * up to {@link Builder#throttleBudget}, after which a {@link org.o365mail.ThrottledException} says how long to wait.
 *
 * <p><b>Bounds.</b> A server is never waited for without end, nor read into memory without limit. Each read waits at
 * most {@link Builder#timeout}; a response that has started must then go on at 1 KiB/s, and one operation's reads end
 * after ten timeouts plus one second per KiB read. A line of a response is at most 16 MiB (a {@code SEARCH} of a
 * million UIDs fits), a literal 16 MiB (twice the largest partial fetch) and a whole response 24 MiB, so one
 * connection holds at most a few tens of MB however the server answers. A server past a bound, or silent for a
 * timeout, fails the operation at once with a {@link org.o365mail.MailboxException} naming it and the bound: it is not
 * retried on a new connection, which would only wait as long again.
 *
 * <p><b>Ids and checkpoints.</b> A {@link MessageId} is {@code imap:<UIDVALIDITY>:<UID>:<folder path>}. When Exchange
 * renumbers a folder (a new UIDVALIDITY), an id this connector handed out (by {@link #sync}, a listing or {@link
 * #message}; the last 20,000) still names its message, found again by its Message-ID, so that reads, flags, moves
 * and deletes of a batch in hand go on; any other id of the old numbering gives {@link MessageNotFoundException}, as
 * does one whose Message-ID is no longer unique in the folder. A {@link SyncState} holds the
 * folder's UIDVALIDITY, the last UID handed out and that message's INTERNALDATE and Message-ID: when Exchange
 * changes the UIDVALIDITY, sync finds that Message-ID in the new numbering (falling back to the date) and goes on
 * after it, marking the batch {@link SyncBatch#resynced()}. "Newest first" in listings is the folder's arrival
 * order (highest UID first).
 *
 * <p><b>Content.</b> MIME is read with {@code BODY.PEEK[]} (never setting {@code \Seen}): messages handed out by
 * {@link #sync} or a listing and opened in turn come from one streamed FETCH per batch (messages up to 1 MB,
 * see {@link Builder#readAhead}); others in partial fetches of 256 KB growing to 8 MB as the stream is consumed, so
 * message size does not matter to memory. Attachments come from
 * BODYSTRUCTURE, their ids are IMAP section numbers, and their content is streamed and decoded.
 *
 * <p>Methods block. Failures are the SDK's unchecked exceptions, diagnosed: see {@link MailboxConnector}.
 */
public final class ImapMailboxConnector implements MailboxConnector {
  private static final Logger logger = LoggerFactory.getLogger(ImapMailboxConnector.class);
  private static final int FIRST_CHUNK = 256 * 1024;
  private static final int MAX_CHUNK = 8 * 1024 * 1024;
  private static final int UIDS_PER_COMMAND = 500;
  /** Message-IDs ORed into one UID SEARCH when messages are found again after a renumbering. */
  private static final int MESSAGE_IDS_PER_SEARCH = 50;
  /** Messages handed out whose Message-IDs are kept to find them again after a renumbering. */
  private static final int KNOWN_MESSAGE_IDS = 20_000;
  private static final long READ_AHEAD_MESSAGE_SIZE = 1024 * 1024;
  private static final DateTimeFormatter SEARCH_DATE = DateTimeFormatter.ofPattern("d-MMM-yyyy", Locale.ROOT)
      .withZone(ZoneOffset.UTC);

  private final String mailbox;
  private final CredentialStrategy credential;
  private final MailboxSession session;
  private final ImapEndpoint endpoint;
  private final Folders folders = new Folders();
  private final SmtpSender smtp;
  private final Clock clock;
  private final boolean logPii;
  private final Map<String, Long> uidNextSeen = new ConcurrentHashMap<>();
  private final ReadAhead readAhead;
  private final KnownMessageIds handedOut = new KnownMessageIds(KNOWN_MESSAGE_IDS);

  private ImapMailboxConnector(Builder b) {
    this.mailbox = b.mailbox;
    this.credential = b.credential;
    this.clock = b.clock;
    this.logPii = b.logPii;
    this.readAhead = new ReadAhead(b.readAhead, READ_AHEAD_MESSAGE_SIZE);
    SSLContext trust = b.trust != null ? b.trust : b.credential.registration().trust().orElse(null);
    ImapEndpoint.Security security = b.insecure ? ImapEndpoint.Security.PLAINTEXT
        : b.startTls ? ImapEndpoint.Security.STARTTLS : ImapEndpoint.Security.IMPLICIT_TLS;
    int port = b.port != null ? b.port : security == ImapEndpoint.Security.IMPLICIT_TLS ? 993 : 143;
    this.endpoint = new ImapEndpoint(b.host != null ? b.host : b.credential.registration().cloud().imapHost(), port,
        security, trust == null ? null : trust.getSocketFactory(), b.timeout, b.timeout);
    this.session = new MailboxSession(new MailboxSession.Settings(endpoint, b.mailbox, b.credential, b.clock,
        b.reauthMargin, b.throttleBudget, b.maxAttempts, b.logPii));
    SmtpSender.Builder smtpBuilder = SmtpSender.builder().mailbox(b.mailbox).credential(b.credential)
        .port(b.smtpPort).timeout(b.timeout).logPii(b.logPii);
    if (b.smtpHost != null) {
      smtpBuilder.host(b.smtpHost);
    }
    if (trust != null) {
      smtpBuilder.trust(trust);
    }
    this.smtp = smtpBuilder.build();
    if (b.insecure) {
      logger.warn("IMAP connector for {} uses insecurePlaintextForTestsOnly(): tokens and mail cross the network"
          + " UNENCRYPTED; never use this outside tests", Pii.mailbox(mailbox, logPii));
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public String mailbox() {
    return mailbox;
  }

  @Override
  public Protocol protocol() {
    return Protocol.IMAP;
  }

  /** The sender {@link #send} uses, for products that also send on their own. */
  public SmtpSender smtpSender() {
    return smtp;
  }

  // ----------------------------------------------------------------------------------------------
  // folders

  @Override
  public List<MailFolder> listFolders() {
    return session.call("LIST", c -> Folders.tree(folders.refresh(c)));
  }

  @Override
  public MailFolder folder(FolderRef folder) {
    requireNonNull(folder, "folder");
    return session.call("LIST/STATUS", c -> {
      folders.refresh(c);
      Folders.ServerFolder f = resolve(c, folder);
      if (!f.selectable()) {
        return folders.toMailFolder(f, -1, -1);
      }
      Status status = c.status(f.serverName(), "MESSAGES", "UNSEEN");
      return folders.toMailFolder(f, status.total, status.unseen);
    });
  }

  @Override
  public MailFolder createFolder(FolderRef path) {
    requireNonNull(path, "path");
    String target = Folders.pathOf(path);
    return session.call("CREATE", c -> {
      Optional<Folders.ServerFolder> existing = folders.resolve(c, path);
      if (existing.isPresent()) {
        return folders.toMailFolder(existing.get(), -1, -1);
      }
      String[] segments = target.split("/");
      StringBuilder prefix = new StringBuilder();
      for (String segment : segments) {
        if (prefix.length() > 0) {
          prefix.append('/');
        }
        prefix.append(segment);
        FolderRef level = FolderRef.path(prefix.toString());
        if (folders.resolve(c, level).isEmpty()) {
          try {
            c.create(Folders.serverNameOf(prefix.toString(), folders.delimiter()));
          } catch (CommandFailedException e) {
            // created meanwhile by someone else: fine if it is there now
            folders.invalidate();
            if (folders.resolve(c, level).isEmpty()) {
              throw e;
            }
          }
          folders.invalidate();
        }
      }
      return folders.toMailFolder(resolve(c, path), -1, -1);
    });
  }

  private Folders.ServerFolder resolve(ImapConnection c, FolderRef ref) throws ProtocolException {
    return folders.resolve(c, ref).orElseThrow(() -> new FolderNotFoundException("folder '" + ref + "' not found in"
        + " mailbox " + mailbox, null, null));
  }

  /** Selects the folder; a folder that cannot be selected any more is looked up again once. */
  private long select(ImapConnection c, Folders.ServerFolder f) throws ProtocolException {
    try {
      return c.select(f.serverName());
    } catch (CommandFailedException e) {
      folders.invalidate();
      c.forgetSelection();
      throw new FolderNotFoundException("folder '" + f.path() + "' cannot be opened in mailbox " + mailbox + ": "
          + ImapConnection.serverText(e), null, e);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // listing

  @Override
  public Paged<MessageSummary> listMessages(FolderRef folder, ListOptions options) {
    requireNonNull(folder, "folder");
    requireNonNull(options, "options");
    AtomicReference<long[]> snapshot = new AtomicReference<>();
    AtomicReference<Long> snapshotValidity = new AtomicReference<>();
    return new Paged<>(token -> session.call("UID SEARCH/UID FETCH page", c -> {
      Folders.ServerFolder f = resolve(c, folder);
      long validity = select(c, f);
      long after = -1;
      if (token.isPresent()) {
        String[] parts = token.get().split(":");
        if (Long.parseLong(parts[0]) != validity) {
          throw new MailboxException("the UIDVALIDITY of folder '" + f.path() + "' changed during the listing"
              + " (Exchange rebuilt its numbering); list it again");
        }
        after = Long.parseLong(parts[1]);
      }
      long[] uids = snapshot.get();
      Long known = snapshotValidity.get();
      if (token.isEmpty() || uids == null || known == null || known != validity) {
        uids = c.uidSearch(criteria(options));
        snapshot.set(uids);
        snapshotValidity.set(validity);
      }
      long[] page = pageOf(uids, after, options.pageSize(), options.newestFirst());
      List<MessageSummary> items = summaries(c, f.path(), validity, page);
      if (!options.newestFirst()) {
        items.sort((a, b) -> Long.compare(ImapIds.parse(a.id()).uid(), ImapIds.parse(b.id()).uid()));
      } else {
        items.sort((a, b) -> Long.compare(ImapIds.parse(b.id()).uid(), ImapIds.parse(a.id()).uid()));
      }
      Optional<Instant> since = options.receivedSince();
      if (since.isPresent()) {
        items.removeIf(m -> m.receivedAt().isBefore(since.get()));
      }
      readAhead.plan(f.path(), validity, items);
      handedOut.remember(items);
      boolean more = page.length > 0 && hasBeyond(uids, page[page.length - 1], options.newestFirst());
      return new Page<>(items, more ? Optional.of(validity + ":" + page[page.length - 1]) : Optional.empty());
    }));
  }

  private static Argument criteria(ListOptions options) {
    Argument a = new Argument();
    boolean any = false;
    if (options.unreadOnly()) {
      a.writeAtom("UNSEEN");
      any = true;
    }
    if (options.receivedSince().isPresent()) {
      // SINCE compares days in the server's time zone: a day earlier, then filtered exactly by INTERNALDATE
      a.writeAtom("SINCE");
      a.writeAtom(SEARCH_DATE.format(options.receivedSince().get().minus(Duration.ofDays(1))));
      any = true;
    }
    if (!any) {
      a.writeAtom("ALL");
    }
    return a;
  }

  private static long[] pageOf(long[] ascending, long after, int size, boolean newestFirst) {
    List<Long> out = new ArrayList<>(size);
    if (newestFirst) {
      for (int i = ascending.length - 1; i >= 0 && out.size() < size; i--) {
        if (after < 0 || ascending[i] < after) {
          out.add(ascending[i]);
        }
      }
    } else {
      for (int i = 0; i < ascending.length && out.size() < size; i++) {
        if (ascending[i] > after) {
          out.add(ascending[i]);
        }
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private static boolean hasBeyond(long[] ascending, long last, boolean newestFirst) {
    return newestFirst ? ascending.length > 0 && ascending[0] < last
        : ascending.length > 0 && ascending[ascending.length - 1] > last;
  }

  /** Summaries of {@code uids} (any order), in UID order, fetched in as few commands as a line allows. */
  private static List<MessageSummary> summaries(ImapConnection c, String path, long validity, long[] uids)
      throws ProtocolException {
    List<MessageSummary> out = new ArrayList<>(uids.length);
    long[] sorted = uids.clone();
    Arrays.sort(sorted);
    for (int from = 0; from < sorted.length; from += UIDS_PER_COMMAND) {
      long[] part = Arrays.copyOfRange(sorted, from, Math.min(sorted.length, from + UIDS_PER_COMMAND));
      Set<Long> wanted = new TreeSet<>();
      for (long u : part) {
        wanted.add(u);
      }
      for (FetchResponse f : c.uidFetch(uidSet(part), Summaries.ITEMS)) {
        if (wanted.remove(Summaries.uid(f))) {
          Summaries.summary(f, path, validity).ifPresent(out::add);
        }
      }
    }
    return out;
  }

  /** Summaries of the messages with UIDs {@code from} to {@code to}, in UID order. */
  private static List<MessageSummary> summaries(ImapConnection c, String path, long validity, long from, long to)
      throws ProtocolException {
    List<FetchResponse> answers = new ArrayList<>();
    for (FetchResponse f : c.uidFetch(from + ":" + to, Summaries.ITEMS)) {
      long uid = Summaries.uid(f);
      if (uid >= from && uid <= to) {
        answers.add(f);
      }
    }
    answers.sort((a, b) -> Long.compare(Summaries.uid(a), Summaries.uid(b)));
    List<MessageSummary> out = new ArrayList<>(answers.size());
    for (FetchResponse f : answers) {
      Summaries.summary(f, path, validity).ifPresent(out::add);
    }
    return out;
  }

  // ----------------------------------------------------------------------------------------------
  // one message

  @Override
  public MessageSummary message(MessageId id) {
    ImapIds.Ref ref = ImapIds.parse(id);
    return session.call("UID FETCH summary", c -> {
      ImapIds.Ref now = current(c, ref);
      List<MessageSummary> found = summaries(c, now.path(), now.uidValidity(), new long[] {now.uid()});
      if (found.isEmpty()) {
        throw notFound(ref, null);
      }
      handedOut.remember(found);
      return found.get(0);
    });
  }

  /**
   * Selects the message's folder; returns its UIDVALIDITY now. A folder selected by an earlier operation is asked
   * for its UIDVALIDITY: after a renumbering the old selection would answer for the old numbering.
   */
  private long selectFolderOf(ImapConnection c, ImapIds.Ref ref) throws ProtocolException {
    Optional<Folders.ServerFolder> f = folders.resolve(c, FolderRef.path(ref.path()));
    if (f.isEmpty()) {
      throw new MessageNotFoundException("message " + ref.toMessageId() + " is gone: its folder '" + ref.path()
          + "' no longer exists in mailbox " + mailbox, null, null);
    }
    long validity;
    try {
      validity = c.select(f.get().serverName());
    } catch (CommandFailedException e) {
      folders.invalidate();
      throw new MessageNotFoundException("message " + ref.toMessageId() + " is gone: its folder '" + ref.path()
          + "' cannot be opened (" + ImapConnection.serverText(e) + ")", null, e);
    }
    if (!c.freshlySelected() || validity != ref.uidValidity()) {
      // the selection may predate a change: ask the server what the folder's UIDVALIDITY is now
      Status now = c.status(f.get().serverName(), "UIDVALIDITY");
      if (now.uidvalidity != validity) {
        validity = c.reselect(f.get().serverName());
      }
    }
    return validity;
  }

  /** Where the messages of {@code refs} (all of one folder and UIDVALIDITY) are now: see {@link #place}. */
  private record Placement(long uidValidity, Map<ImapIds.Ref, ImapIds.Ref> now) {}

  /**
   * Selects the folder of {@code refs} (all of one folder and one UIDVALIDITY) and says where each of their messages
   * is in it now: where the id says while the folder's UIDVALIDITY is still the ids'. After Exchange renumbered the
   * folder, a message this connector handed out is found again by the Message-ID it had; messages it cannot place
   * (never handed out here, gone, or their Message-ID no longer unique) are left out.
   */
  private Placement place(ImapConnection c, List<ImapIds.Ref> refs) throws ProtocolException {
    ImapIds.Ref first = refs.get(0);
    long validity = selectFolderOf(c, first);
    Map<ImapIds.Ref, ImapIds.Ref> now = new LinkedHashMap<>();
    if (validity == first.uidValidity()) {
      refs.forEach(r -> now.put(r, r));
    } else {
      now.putAll(findAgain(c, refs, validity));
    }
    return new Placement(validity, now);
  }

  /** The one message {@code ref} names now, found again after a renumbering if need be (see {@link #place}). */
  private ImapIds.Ref current(ImapConnection c, ImapIds.Ref ref) throws ProtocolException {
    Placement p = place(c, List.of(ref));
    ImapIds.Ref now = p.now().get(ref);
    if (now == null) {
      throw new MessageNotFoundException("message " + ref.toMessageId() + " was issued under UIDVALIDITY "
          + ref.uidValidity() + " of folder '" + ref.path() + "', which now has UIDVALIDITY " + p.uidValidity()
          + ": Exchange renumbered the folder, so the id no longer names a message; find it again with sync() or"
          + " listMessages()", null, null);
    }
    return now;
  }

  /**
   * The messages of {@code refs} (of one folder, issued under one earlier UIDVALIDITY) in the folder's numbering now
   * ({@code validity}, selected): each by the Message-ID it had when this connector handed it out, when exactly one
   * message has it. The messages planned to be read with them (the rest of a batch in hand) are looked for at the
   * same time, 50 Message-IDs to a UID SEARCH checked exactly in the ENVELOPE; what is learnt is kept as it comes,
   * so that a lost connection costs only the last 50 and each message is looked for once. Once all are looked for,
   * what is planned and held to read moves to the new numbering along with them.
   */
  private Map<ImapIds.Ref, ImapIds.Ref> findAgain(ImapConnection c, List<ImapIds.Ref> refs, long validity)
      throws ProtocolException {
    ImapIds.Ref first = refs.get(0);
    Set<ImapIds.Ref> lookFor = new LinkedHashSet<>(refs);
    for (long uid : readAhead.planned(first.path(), first.uidValidity())) {
      lookFor.add(new ImapIds.Ref(first.path(), first.uidValidity(), uid));
    }
    lookFor.removeIf(r -> handedOut.lookedFor(r, validity));
    if (!lookFor.isEmpty()) {
      Map<String, List<ImapIds.Ref>> byMessageId = new LinkedHashMap<>();
      for (ImapIds.Ref r : lookFor) {
        Optional<String> id = handedOut.messageId(r);
        if (id.isPresent()) {
          byMessageId.computeIfAbsent(id.get(), k -> new ArrayList<>()).add(r);
        } else {
          handedOut.notFoundAgain(r, validity); // never handed out here: nothing to look for it by
        }
      }
      List<String> wanted = new ArrayList<>(byMessageId.keySet());
      int found = 0;
      for (int from = 0; from < wanted.size(); from += MESSAGE_IDS_PER_SEARCH) {
        List<String> part = wanted.subList(from, Math.min(wanted.size(), from + MESSAGE_IDS_PER_SEARCH));
        Argument a = new Argument();
        for (int i = 0; i < part.size(); i++) {
          if (i < part.size() - 1) {
            a.writeAtom("OR");
          }
          a.writeAtom("HEADER");
          a.writeAtom("Message-ID");
          a.writeString(part.get(i));
        }
        // SEARCH HEADER matches substrings, ignoring case: only the exact Message-ID counts
        Map<String, List<Long>> uids = new HashMap<>();
        messageIds(c, c.uidSearch(a)).forEach((uid, id) -> uids.computeIfAbsent(id, k -> new ArrayList<>()).add(uid));
        for (String id : part) {
          List<Long> hits = uids.getOrDefault(id, List.of());
          for (ImapIds.Ref r : byMessageId.get(id)) {
            if (hits.size() == 1) {
              handedOut.foundAgain(r, new ImapIds.Ref(r.path(), validity, hits.get(0)));
              found++;
            } else {
              handedOut.notFoundAgain(r, validity); // gone, or no longer unique
            }
          }
        }
      }
      logger.debug("imap {}: folder {} was renumbered (UIDVALIDITY {} now {}); {} of {} messages handed out under"
          + " the old one found again by Message-ID", Pii.mailbox(mailbox, logPii), printable(first.path()),
          first.uidValidity(),
          validity, found, lookFor.size());
    }
    readAhead.renumber(first.path(), first.uidValidity(), validity,
        uid -> foundAgain(new ImapIds.Ref(first.path(), first.uidValidity(), uid), validity).map(ImapIds.Ref::uid));
    Map<ImapIds.Ref, ImapIds.Ref> now = new LinkedHashMap<>();
    for (ImapIds.Ref r : refs) {
      foundAgain(r, validity).ifPresent(there -> now.put(r, there));
    }
    return now;
  }

  private Optional<ImapIds.Ref> foundAgain(ImapIds.Ref ref, long validity) {
    return handedOut.foundAgain(ref).filter(f -> f.uidValidity() == validity);
  }

  private MessageNotFoundException notFound(ImapIds.Ref ref, Throwable cause) {
    return new MessageNotFoundException("message " + ref.toMessageId() + " no longer exists in folder '"
        + ref.path() + "' of mailbox " + mailbox + " (deleted or moved)", null, cause);
  }

  @Override
  public InputStream openMime(MessageId id) {
    ImapIds.Ref asked = ImapIds.parse(id);
    // after a renumbering found it again: its planned and held content moved with it (see findAgain)
    ImapIds.Ref ref = handedOut.foundAgain(asked).orElse(asked);
    Optional<ByteArray> held = readAhead.take(new ReadAhead.Key(ref.path(), ref.uidValidity(), ref.uid()));
    if (held.isPresent()) {
      return held.get().toByteArrayInputStream();
    }
    Optional<ByteArray> streamed = session.callKeepingCursor("UID FETCH BODY.PEEK[] of planned messages", c -> {
      BodyCursor cursor = c.cursor();
      ImapIds.Ref at = ref;
      if (cursor == null || !cursor.covers(at.path(), at.uidValidity(), at.uid())) {
        if (readAhead.cursorFor(new ReadAhead.Key(at.path(), at.uidValidity(), at.uid())).length == 0) {
          return Optional.<ByteArray>empty();
        }
        c.settle();
        at = current(c, at); // where it is now, the plan moved along if the folder was renumbered meanwhile
        long[] planned = readAhead.cursorFor(new ReadAhead.Key(at.path(), at.uidValidity(), at.uid()));
        if (planned.length == 0) {
          return Optional.<ByteArray>empty();
        }
        String path = at.path();
        long validity = at.uidValidity();
        cursor = BodyCursor.start(c, path, validity, planned,
            (uid, bytes) -> readAhead.hold(new ReadAhead.Key(path, validity, uid), bytes));
        logger.debug("imap {}: streaming {} planned messages of {} in one FETCH", Pii.mailbox(mailbox, logPii),
            planned.length, path);
      }
      return Optional.ofNullable(cursor.next(at.uid()));
    });
    if (streamed.isPresent()) {
      return streamed.get().toByteArrayInputStream();
    }
    return openPart(ref, "", "message " + id);
  }

  private BodyStream openPart(ImapIds.Ref ref, String section, String what) {
    BodyStream.ChunkSource source = (offset, size) -> session.call("UID FETCH BODY.PEEK[" + section + "] partial",
        c -> {
          ByteArray bytes = c.fetchPartial(current(c, ref).uid(), section, offset, size);
          if (bytes == null && offset == 0) {
            throw notFound(ref, null);
          }
          return bytes;
        });
    ByteArray first = source.read(0, FIRST_CHUNK);
    return new BodyStream(source, what, first, FIRST_CHUNK, MAX_CHUNK);
  }

  @Override
  public List<AttachmentInfo> listAttachments(MessageId id) {
    ImapIds.Ref ref = ImapIds.parse(id);
    return Summaries.attachments(structure(ref));
  }

  private BODYSTRUCTURE structure(ImapIds.Ref ref) {
    return session.call("UID FETCH BODYSTRUCTURE", c -> {
      long uid = current(c, ref).uid();
      for (FetchResponse f : c.uidFetch(Long.toString(uid), "(UID BODYSTRUCTURE)")) {
        BODYSTRUCTURE bs = f.getItem(BODYSTRUCTURE.class);
        if (Summaries.uid(f) == uid && bs != null) {
          return bs;
        }
      }
      throw notFound(ref, null);
    });
  }

  @Override
  public InputStream openAttachment(MessageId id, String attachmentId) {
    ImapIds.Ref ref = ImapIds.parse(id);
    requireNonNull(attachmentId, "attachmentId");
    BODYSTRUCTURE part = Summaries.part(structure(ref), attachmentId);
    if (part == null || part.isMulti()) {
      throw new IllegalArgumentException("message " + id + " has no attachment '" + attachmentId + "'");
    }
    BodyStream raw = openPart(ref, attachmentId, "attachment " + attachmentId + " of message " + id);
    String encoding = part.encoding == null ? "7bit" : part.encoding.toLowerCase(Locale.ROOT);
    try {
      return MimeUtility.decode(raw, encoding);
    } catch (MessagingException e) {
      // an encoding Angus does not know: hand the bytes out as they are
      return raw;
    }
  }

  // ----------------------------------------------------------------------------------------------
  // actions

  @Override
  public void markRead(MessageId id, boolean read) {
    markRead(List.of(id), read);
  }

  @Override
  public void markRead(Collection<MessageId> ids, boolean read) {
    requireNonNull(ids, "ids");
    for (Map.Entry<String, List<ImapIds.Ref>> group : byFolder(ids).entrySet()) {
      List<ImapIds.Ref> refs = group.getValue();
      session.call("UID STORE \\Seen", c -> {
        Map<ImapIds.Ref, ImapIds.Ref> now = place(c, refs).now();
        long[] uids = now.values().stream().mapToLong(ImapIds.Ref::uid).sorted().distinct().toArray();
        for (int from = 0; from < uids.length; from += UIDS_PER_COMMAND) {
          long[] part = Arrays.copyOfRange(uids, from, Math.min(uids.length, from + UIDS_PER_COMMAND));
          c.uidStore(uidSet(part), read ? "+FLAGS.SILENT" : "-FLAGS.SILENT", "\\Seen");
        }
        requireAll(c, refs, now);
        return null;
      });
    }
  }

  /**
   * Throws {@link MessageNotFoundException} if a message of {@code refs} could not be placed ({@code now}) or is not
   * in the selected folder.
   */
  private void requireAll(ImapConnection c, List<ImapIds.Ref> refs, Map<ImapIds.Ref, ImapIds.Ref> now)
      throws ProtocolException {
    long[] uids = now.values().stream().mapToLong(ImapIds.Ref::uid).sorted().distinct().toArray();
    Set<Long> present = new TreeSet<>();
    for (int from = 0; from < uids.length; from += UIDS_PER_COMMAND) {
      long[] part = Arrays.copyOfRange(uids, from, Math.min(uids.length, from + UIDS_PER_COMMAND));
      for (long found : c.uidSearch(uidCriteria(part))) {
        present.add(found);
      }
    }
    List<ImapIds.Ref> missing = refs.stream().filter(r -> now.get(r) == null || !present.contains(now.get(r).uid()))
        .distinct().toList();
    if (!missing.isEmpty()) {
      ImapIds.Ref first = missing.get(0);
      throw new MessageNotFoundException(missing.size() == 1 ? "message " + first.toMessageId()
          + " no longer exists in folder '" + first.path() + "' of mailbox " + mailbox
          : missing.size() + " of the messages no longer exist in folder '" + first.path() + "' of mailbox "
              + mailbox + ", first " + first.toMessageId(), null, null);
    }
  }

  /**
   * {@inheritDoc}
   *
   * @throws MessageNotFoundException if the message no longer exists
   * @throws FolderNotFoundException if {@code destination} does not exist
   */
  @Override
  public MessageId move(MessageId id, FolderRef destination) {
    MessageId moved = move(List.of(id), destination).get(id);
    if (moved == null) {
      throw notFound(ImapIds.parse(id), null);
    }
    return moved;
  }

  /**
   * {@inheritDoc} Messages of one folder move in one command ({@code UID MOVE}, or {@code UID COPY}, {@code
   * \Deleted} and {@code UID EXPUNGE} where MOVE is not offered); messages that no longer exist are left out of
   * the map. Without MOVE, a call that failed after the server had copied some of the messages leaves them in
   * both folders; calling again with the same ids finishes the move without copying them a second time.
   *
   * @throws FolderNotFoundException if {@code destination} does not exist
   */
  @Override
  public Map<MessageId, MessageId> move(Collection<MessageId> ids, FolderRef destination) {
    requireNonNull(ids, "ids");
    requireNonNull(destination, "destination");
    Map<MessageId, MessageId> moved = new LinkedHashMap<>();
    for (Map.Entry<String, List<ImapIds.Ref>> group : byFolder(ids).entrySet()) {
      Transfer transfer = new Transfer(group.getValue());
      session.call("UID MOVE", c -> {
        transfer.run(c, destination);
        return null;
      });
      moved.putAll(transfer.moved);
    }
    Map<MessageId, MessageId> inOrder = new LinkedHashMap<>();
    for (MessageId id : ids) {
      MessageId to = moved.get(id);
      if (to != null) {
        inOrder.put(id, to);
      }
    }
    return inOrder;
  }

  /**
   * Moving the messages of one folder: {@code UID MOVE} when the server offers MOVE, otherwise {@code UID COPY},
   * {@code \Deleted} and {@code UID EXPUNGE} (plain {@code EXPUNGE} without UIDPLUS). New UIDs come from {@code
   * COPYUID}, else by searching the destination for the messages' Message-IDs. Safe to run again after a lost
   * connection: messages already gone from the source, or already copied, are found in the destination instead
   * of being moved twice. A copy is looked for only where it can be: above the destination's UIDNEXT from before
   * the first COPY of this call, or of an earlier call that copied the message and gave up before its source was
   * deleted (remembered in {@link #handedOut}); a message with the same Message-ID that was in the destination
   * before is not taken for a copy. A process that dies between COPY and {@code \Deleted} forgets: moving the
   * message again leaves two copies in the destination, none lost.
   */
  private final class Transfer {
    final List<ImapIds.Ref> refs;
    final Map<MessageId, MessageId> moved = new LinkedHashMap<>();
    Map<Long, String> messageIds;
    long messageIdsValidity = -1;
    long destUidNext = -1;
    long destValidityBefore = -1;

    Transfer(List<ImapIds.Ref> refs) {
      this.refs = refs;
    }

    void run(ImapConnection c, FolderRef destination) throws ProtocolException {
      ImapIds.Ref first = refs.get(0);
      Folders.ServerFolder dest = resolve(c, destination);
      if (dest.path().equalsIgnoreCase(first.path())) {
        refs.forEach(r -> moved.put(r.toMessageId(), r.toMessageId()));
        return;
      }
      Placement placement = place(c, refs);
      long[] uids = placement.now().values().stream().mapToLong(ImapIds.Ref::uid).sorted().distinct().toArray();
      if (uids.length == 0) {
        handedOut.copiesFinished(refs);
        return; // none of them is there any more
      }
      if (messageIds == null || messageIdsValidity != placement.uidValidity()) {
        messageIds = messageIds(c, uids);
        messageIdsValidity = placement.uidValidity();
      }
      boolean move = c.hasCapability("MOVE");
      long[] present = uids;
      long[] mayBeCopied;
      if (destUidNext < 0) {
        Status status = c.status(dest.serverName(), "UIDNEXT", "UIDVALIDITY");
        destUidNext = status.uidnext;
        destValidityBefore = status.uidvalidity;
        mayBeCopied = move ? new long[0] : copiedBefore(dest, placement);
      } else {
        present = c.uidSearch(uidCriteria(uids));
        mayBeCopied = present; // by the attempt before, on the connection that was lost
      }
      Map<Long, Long> newUids = new HashMap<>();
      long destValidity = -1;
      if (present.length > 0) {
        long[] toTransfer = present;
        if (!move && mayBeCopied.length > 0) {
          // a COPY may have happened before the connection was lost: do not copy those again
          Map<Long, Long> copied = findByMessageId(c, dest, mayBeCopied);
          newUids.putAll(copied);
          selectFolderOf(c, first);
          toTransfer = Arrays.stream(present).filter(u -> !copied.containsKey(u)).toArray();
        }
        if (!move) {
          copyStarting(toTransfer, placement, dest);
        }
        for (int from = 0; from < toTransfer.length; from += UIDS_PER_COMMAND) {
          long[] part = Arrays.copyOfRange(toTransfer, from, Math.min(toTransfer.length, from + UIDS_PER_COMMAND));
          Response[] answer = c.uidTransfer(move ? "MOVE" : "COPY", uidSet(part), dest.serverName());
          destValidity = copyUid(answer, newUids, destValidity);
        }
        if (!move) {
          for (int from = 0; from < present.length; from += UIDS_PER_COMMAND) {
            long[] part = Arrays.copyOfRange(present, from, Math.min(present.length, from + UIDS_PER_COMMAND));
            c.uidStore(uidSet(part), "+FLAGS.SILENT", "\\Deleted");
            if (c.hasCapability("UIDPLUS")) {
              c.uidExpunge(uidSet(part));
            }
          }
          if (!c.hasCapability("UIDPLUS")) {
            logger.debug("imap {}: no UIDPLUS; EXPUNGE removes every \\Deleted message of the folder",
                Pii.mailbox(mailbox, logPii));
            c.expunge();
          }
        }
      }
      handedOut.copiesFinished(refs);
      long[] unmapped = Arrays.stream(uids).filter(u -> !newUids.containsKey(u)).toArray();
      if (unmapped.length > 0) {
        newUids.putAll(findByMessageId(c, dest, unmapped));
      }
      if (destValidity < 0) {
        destValidity = c.status(dest.serverName(), "UIDVALIDITY").uidvalidity;
      }
      for (ImapIds.Ref r : refs) {
        ImapIds.Ref now = placement.now().get(r);
        Long to = now == null ? null : newUids.get(now.uid());
        if (to != null) {
          moved.put(r.toMessageId(), ImapIds.of(dest.path(), destValidity, to));
        }
      }
    }

    /**
     * The source UIDs (now) of the messages an earlier call started copying to {@code dest} and did not see through;
     * lowers {@link #destUidNext} to where the first of those copies can be (to 1 if the destination was renumbered
     * since).
     */
    private long[] copiedBefore(Folders.ServerFolder dest, Placement placement) {
      List<Long> found = new ArrayList<>();
      for (ImapIds.Ref r : refs) {
        ImapIds.Ref now = placement.now().get(r);
        Optional<KnownMessageIds.Copy> copy = handedOut.unfinishedCopy(r, dest.path());
        if (now == null || copy.isEmpty()) {
          continue;
        }
        long from = copy.get().destinationValidity() == destValidityBefore ? copy.get().uidNextBefore() : 1;
        destUidNext = Math.min(destUidNext, from);
        found.add(now.uid());
        if (copy.get().messageId() != null) {
          messageIds.putIfAbsent(now.uid(), copy.get().messageId()); // gone from the source if it was expunged
        }
      }
      return found.stream().mapToLong(Long::longValue).sorted().distinct().toArray();
    }

    /** Remembers, before {@code UID COPY}, where the copies of {@code sourceUids} will be, in case this call fails. */
    private void copyStarting(long[] sourceUids, Placement placement, Folders.ServerFolder dest) {
      Set<Long> copying = Arrays.stream(sourceUids).boxed().collect(Collectors.toSet());
      for (ImapIds.Ref r : refs) {
        ImapIds.Ref now = placement.now().get(r);
        if (now != null && copying.contains(now.uid())) {
          handedOut.copyStarted(r, new KnownMessageIds.Copy(dest.path(), destValidityBefore, destUidNext,
              messageIds.get(now.uid())));
        }
      }
    }

    /** Finds the messages by Message-ID among the destination's UIDs from before the first attempt on. */
    private Map<Long, Long> findByMessageId(ImapConnection c, Folders.ServerFolder dest, long[] sourceUids)
        throws ProtocolException {
      Map<Long, Long> found = new HashMap<>();
      select(c, dest);
      for (long u : sourceUids) {
        String messageId = messageIds.get(u);
        if (messageId == null) {
          continue;
        }
        Argument a = new Argument();
        a.writeAtom("UID");
        a.writeAtom(Math.max(1, destUidNext) + ":4294967295");
        a.writeAtom("HEADER");
        a.writeAtom("Message-ID");
        a.writeString(messageId);
        for (long hit : c.uidSearch(a)) {
          if (hit >= destUidNext && !found.containsValue(hit)) {
            found.put(u, hit);
            break;
          }
        }
      }
      return found;
    }
  }

  /** Reads {@code [COPYUID validity src dst]} from MOVE's or COPY's answers; returns the destination UIDVALIDITY. */
  private static long copyUid(Response[] answer, Map<Long, Long> into, long validitySoFar) {
    long validity = validitySoFar;
    for (Response r : answer) {
      String text = r.toString();
      int at = text.indexOf("[COPYUID ");
      if (at < 0) {
        continue;
      }
      int end = text.indexOf(']', at);
      String[] parts = text.substring(at + 9, end < 0 ? text.length() : end).trim().split("\\s+");
      if (parts.length != 3) {
        continue;
      }
      long[] src = UIDSet.toArray(UIDSet.parseUIDSets(parts[1]));
      long[] dst = UIDSet.toArray(UIDSet.parseUIDSets(parts[2]));
      if (src != null && dst != null && src.length == dst.length) {
        validity = Long.parseLong(parts[0]);
        for (int i = 0; i < src.length; i++) {
          into.put(src[i], dst[i]);
        }
      }
    }
    return validity;
  }

  private static Map<Long, String> messageIds(ImapConnection c, long[] uids) throws ProtocolException {
    Map<Long, String> ids = new HashMap<>();
    for (int from = 0; from < uids.length; from += UIDS_PER_COMMAND) {
      long[] part = Arrays.copyOfRange(uids, from, Math.min(uids.length, from + UIDS_PER_COMMAND));
      for (FetchResponse f : c.uidFetch(uidSet(part), "(UID ENVELOPE)")) {
        ENVELOPE e = f.getItem(ENVELOPE.class);
        if (e != null && e.messageId != null && !e.messageId.isBlank() && Summaries.uid(f) > 0) {
          ids.put(Summaries.uid(f), e.messageId.trim());
        }
      }
    }
    return ids;
  }

  @Override
  public void delete(MessageId id, DeleteMode mode) {
    ImapIds.Ref ref = ImapIds.parse(id);
    requireNonNull(mode, "mode");
    if (mode == DeleteMode.MOVE_TO_DELETED_ITEMS) {
      boolean inDeletedItems = session.call("LIST", c -> resolve(c, FolderRef.DELETED_ITEMS).path())
          .equalsIgnoreCase(ref.path());
      if (!inDeletedItems) {
        if (move(List.of(id), FolderRef.DELETED_ITEMS).isEmpty()) {
          throw notFound(ref, null);
        }
        return;
      }
    }
    session.call("UID STORE \\Deleted/UID EXPUNGE", c -> {
      long[] uid = {current(c, ref).uid()};
      if (c.uidSearch(uidCriteria(uid)).length == 0) {
        throw notFound(ref, null);
      }
      c.uidStore(uidSet(uid), "+FLAGS.SILENT", "\\Deleted");
      if (c.hasCapability("UIDPLUS")) {
        c.uidExpunge(uidSet(uid));
      } else {
        c.expunge();
      }
      return null;
    });
  }

  @Override
  public void send(OutgoingMessage message) {
    smtp.send(message);
  }

  // ----------------------------------------------------------------------------------------------
  // incremental sync

  @Override
  public SyncBatch sync(FolderRef folder, SyncState state, int maxMessages) {
    requireNonNull(folder, "folder");
    requireNonNull(state, "state");
    if (maxMessages < 1) {
      throw new IllegalArgumentException("maxMessages must be at least 1, was " + maxMessages);
    }
    return session.call("sync", c -> {
      Folders.ServerFolder f = resolve(c, folder);
      String path = f.path();
      long validity = select(c, f);
      long uidNext = c.uidNext();
      if (!c.freshlySelected() || uidNext < 1) {
        // selected earlier: ask what the folder looks like now (new mail, or a new UIDVALIDITY)
        Status status = c.status(f.serverName(), "UIDVALIDITY", "UIDNEXT");
        if (status.uidvalidity != validity) {
          validity = c.reselect(f.serverName());
        }
        uidNext = status.uidnext;
      }
      uidNextSeen.put(path.toLowerCase(Locale.ROOT), uidNext);
      if (state.isNow()) {
        return new SyncBatch(List.of(), baseline(c, path, validity, uidNext).toSyncState(), false, false);
      }
      ImapSyncState from = state.isBeginning()
          ? new ImapSyncState(path, validity, 0, Optional.empty(), Optional.empty())
          : ImapSyncState.parse(state, path);
      boolean resynced = false;
      long after = from.lastUid();
      if (from.uidValidity() != validity) {
        after = rebaseline(c, from, uidNext);
        resynced = true;
        logger.debug("imap {}: UIDVALIDITY of {} changed from {} to {}; going on after UID {}",
            Pii.mailbox(mailbox, logPii), printable(path), from.uidValidity(), validity, after);
      }
      if (resynced) {
        readAhead.forget(path);
      }
      List<MessageSummary> messages = new ArrayList<>();
      boolean more = false;
      long last = uidNext - 1;
      if (after < last) {
        // UIDs are usually dense: the next maxMessages UIDs in one FETCH, searching only where there are gaps
        long to = Math.min(last, after + maxMessages);
        messages.addAll(summaries(c, path, validity, after + 1, to));
        more = to < last;
        if (messages.size() < maxMessages && more) {
          Batch rest = collect(c, to, last, maxMessages - messages.size());
          messages.addAll(summaries(c, path, validity, rest.uids()));
          more = rest.more();
        }
      }
      readAhead.plan(path, validity, messages);
      handedOut.remember(messages);
      ImapSyncState next;
      if (messages.isEmpty()) {
        next = new ImapSyncState(path, validity, Math.max(after, 0), from.lastReceived(), from.lastMessageId());
      } else {
        MessageSummary newest = messages.get(messages.size() - 1);
        next = new ImapSyncState(path, validity, ImapIds.parse(newest.id()).uid(), Optional.of(newest.receivedAt()),
            newest.internetMessageId());
      }
      return new SyncBatch(messages, next.toSyncState(), resynced, more);
    });
  }

  private record Batch(long[] uids, boolean more) {}

  /**
   * Up to {@code max} UIDs in {@code (after, last]}: one direct range when UIDs are dense (the usual case), then
   * searches over growing windows where they are sparse.
   */
  private static Batch collect(ImapConnection c, long after, long last, int max) throws ProtocolException {
    List<Long> found = new ArrayList<>();
    long from = after + 1;
    long window = max;
    while (from <= last && found.size() < max) {
      long to = Math.min(last, from + window - 1);
      for (long u : c.uidSearch(uidCriteria(from + ":" + to))) {
        if (u >= from && u <= to) {
          found.add(u);
        }
      }
      from = to + 1;
      window = Math.min(window * 4, 1_000_000);
    }
    boolean more = found.size() > max || from <= last;
    List<Long> taken = found.size() > max ? found.subList(0, max) : found;
    return new Batch(taken.stream().mapToLong(Long::longValue).toArray(), more);
  }

  /** The state for {@link SyncState#NOW}: after UIDNEXT-1, remembering the newest message to find the place again. */
  private ImapSyncState baseline(ImapConnection c, String path, long validity, long uidNext) throws ProtocolException {
    long last = uidNext - 1;
    if (last >= 1) {
      long[] recent = c.uidSearch(uidCriteria(Math.max(1, last - 63) + ":" + last));
      long newest = -1;
      for (long u : recent) {
        if (u <= last) {
          newest = Math.max(newest, u);
        }
      }
      if (newest > 0) {
        List<MessageSummary> s = summaries(c, path, validity, new long[] {newest});
        if (!s.isEmpty()) {
          return new ImapSyncState(path, validity, last, Optional.of(s.get(0).receivedAt()),
              s.get(0).internetMessageId());
        }
      }
    }
    return new ImapSyncState(path, validity, Math.max(0, last), Optional.of(clock.instant()), Optional.empty());
  }

  /**
   * After a UIDVALIDITY change: the UID in the new numbering after which the messages are new. The last message
   * handed out is found by its Message-ID; failing that, messages received from its INTERNALDATE on count as new
   * (some may have been handed out before: the batch is marked resynced).
   */
  private long rebaseline(ImapConnection c, ImapSyncState from, long uidNext) throws ProtocolException {
    if (from.lastUid() == 0 && from.lastReceived().isEmpty()) {
      return 0;
    }
    if (from.lastMessageId().isPresent()) {
      String wanted = from.lastMessageId().get();
      Argument a = new Argument();
      a.writeAtom("HEADER");
      a.writeAtom("Message-ID");
      a.writeString(wanted);
      long[] hits = c.uidSearch(a);
      if (hits.length > 0) {
        Map<Long, String> ids = messageIds(c, hits);
        for (long hit : hits) {
          if (wanted.equalsIgnoreCase(ids.get(hit))) {
            return hit;
          }
        }
      }
    }
    if (from.lastReceived().isPresent()) {
      Instant since = from.lastReceived().get();
      Argument a = new Argument();
      a.writeAtom("SINCE");
      a.writeAtom(SEARCH_DATE.format(since.minus(Duration.ofDays(1))));
      long[] candidates = c.uidSearch(a);
      for (int i = 0; i < candidates.length; i += UIDS_PER_COMMAND) {
        long[] part = Arrays.copyOfRange(candidates, i, Math.min(candidates.length, i + UIDS_PER_COMMAND));
        long firstNew = Long.MAX_VALUE;
        for (FetchResponse f : c.uidFetch(uidSet(part), "(UID INTERNALDATE)")) {
          INTERNALDATE d = f.getItem(INTERNALDATE.class);
          long u = Summaries.uid(f);
          if (d != null && u > 0 && !Instant.ofEpochMilli(d.getDate().getTime()).isBefore(since)) {
            firstNew = Math.min(firstNew, u);
          }
        }
        if (firstNew != Long.MAX_VALUE) {
          return firstNew - 1;
        }
      }
      return uidNext - 1;
    }
    return 0;
  }

  @Override
  public boolean awaitChanges(FolderRef folder, Duration timeout) {
    requireNonNull(folder, "folder");
    requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      return false;
    }
    return session.idle(c -> {
      Folders.ServerFolder f = resolve(c, folder);
      select(c, f);
      long uidNext = c.status(f.serverName(), "UIDNEXT").uidnext;
      Long seen = uidNextSeen.put(f.path().toLowerCase(Locale.ROOT), uidNext);
      return seen != null && uidNext > seen;
    }, timeout);
  }

  // ----------------------------------------------------------------------------------------------
  // health

  @Override
  public ConnectionCheck checkConnection() {
    long start = System.nanoTime();
    try {
      int messages = session.callDedicated("EXAMINE INBOX", c -> {
        c.select("INBOX");
        return c.exists();
      });
      return ConnectionCheck.ok("INBOX of " + mailbox + ": " + messages + " messages (IMAP at " + endpoint.host()
          + ":" + endpoint.port() + ", " + (credential.kind() == CredentialKind.APP_ONLY ? "app-only" : "delegated")
          + ")", Duration.ofNanos(System.nanoTime() - start));
    } catch (MailboxException e) {
      Diagnosis d = e.diagnosis().orElseGet(() -> Diagnosis.builder(SetupStep.UNKNOWN, e.getClass().getSimpleName())
          .summary(String.valueOf(e.getMessage())).fix("See the cause").build());
      return ConnectionCheck.failed(d, Duration.ofNanos(System.nanoTime() - start));
    }
  }

  @Override
  public void close() {
    session.close();
  }

  @Override
  public String toString() {
    return "ImapMailboxConnector[" + Pii.mailbox(mailbox, logPii) + " at " + endpoint + "]";
  }

  // ----------------------------------------------------------------------------------------------
  // helpers

  private static Map<String, List<ImapIds.Ref>> byFolder(Collection<MessageId> ids) {
    Map<String, List<ImapIds.Ref>> groups = new LinkedHashMap<>();
    for (MessageId id : ids) {
      ImapIds.Ref ref = ImapIds.parse(requireNonNull(id, "id"));
      groups.computeIfAbsent(ref.path().toLowerCase(Locale.ROOT) + "\n" + ref.uidValidity(), k -> new ArrayList<>())
          .add(ref);
    }
    return groups;
  }

  static String uidSet(long[] sortedUids) {
    return UIDSet.toString(UIDSet.createUIDSets(sortedUids));
  }

  private static Argument uidCriteria(long[] sortedUids) {
    return uidCriteria(uidSet(sortedUids));
  }

  private static Argument uidCriteria(String set) {
    Argument a = new Argument();
    a.writeAtom("UID");
    a.writeAtom(set);
    return a;
  }

  /** Builds an {@link ImapMailboxConnector}; {@link #build()} needs {@link #mailbox} and {@link #credential}. */
  public static final class Builder {
    private String mailbox;
    private CredentialStrategy credential;
    private String host;
    private Integer port;
    private boolean startTls;
    private boolean insecure;
    private SSLContext trust;
    private String smtpHost;
    private int smtpPort = 587;
    private Clock clock = Clock.systemUTC();
    private Duration reauthMargin = Duration.ofMinutes(2);
    private Duration throttleBudget = Duration.ofMinutes(2);
    private int maxAttempts = 4;
    private Duration timeout = Duration.ofSeconds(60);
    private boolean logPii;
    private long readAhead = 8L * 1024 * 1024;

    private Builder() {}

    /**
     * The mailbox to open, such as {@code invoices@contoso.com}: sent as XOAUTH2's {@code user=}, so it may be a
     * shared mailbox the identity has FullAccess to.
     */
    public Builder mailbox(String address) {
      this.mailbox = EmailAddress.of(requireNonNull(address, "mailbox")).address().toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * Where tokens come from: app-only ({@code IMAP.AccessAsApp}, plus {@code SMTP.SendAsApp} to send) or delegated
     * ({@code IMAP.AccessAsUser.All}, plus {@code SMTP.Send}).
     */
    public Builder credential(CredentialStrategy value) {
      this.credential = requireNonNull(value, "credential");
      return this;
    }

    /** IMAP host (default: the credential's cloud, {@code outlook.office365.com} in the global cloud). */
    public Builder host(String value) {
      this.host = Arguments.notBlank(value, "host");
      return this;
    }

    /** IMAP port (default 993, or 143 with {@link #startTls()}). */
    public Builder port(int value) {
      this.port = Arguments.port(value, "port");
      return this;
    }

    /** STARTTLS on a plain port (143) instead of implicit TLS; a server without STARTTLS is refused. */
    public Builder startTls() {
      this.startTls = true;
      return this;
    }

    /**
     * No TLS at all: the token and the mail cross the network in clear text. Only for tests against a local
     * server; logged as a warning when built and at every login.
     */
    public Builder insecurePlaintextForTestsOnly() {
      this.insecure = true;
      return this;
    }

    /**
     * TLS trust instead of the credential's {@code AppRegistration.trust()} or the JVM's default; host names are
     * verified all the same.
     */
    public Builder trust(SSLContext value) {
      this.trust = requireNonNull(value, "trust");
      return this;
    }

    /** SMTP host for {@link ImapMailboxConnector#send} (default: the cloud's, {@code smtp.office365.com}). */
    public Builder smtpHost(String value) {
      this.smtpHost = Arguments.notBlank(value, "smtpHost");
      return this;
    }

    /** SMTP submission port for {@link ImapMailboxConnector#send} (default 587, STARTTLS). */
    public Builder smtpPort(int value) {
      this.smtpPort = Arguments.port(value, "smtpPort");
      return this;
    }

    /** The clock token-expiry decisions use (default the system clock; tests inject the tenant's). */
    public Builder clock(Clock value) {
      this.clock = requireNonNull(value, "clock");
      return this;
    }

    /**
     * How long before the token's {@code exp} the connection is replaced by a new login (default 2 minutes; at
     * most a quarter of the token's lifetime is used).
     */
    public Builder reauthMargin(Duration value) {
      requireNonNull(value, "reauthMargin");
      if (value.isNegative()) {
        throw new IllegalArgumentException("reauthMargin must not be negative, was " + value);
      }
      this.reauthMargin = value;
      return this;
    }

    /**
     * The longest an operation waits for Exchange's throttling in all (default 2 minutes); beyond it a {@link
     * org.o365mail.ThrottledException} carries the wait the server asked for.
     */
    public Builder throttleBudget(Duration value) {
      requireNonNull(value, "throttleBudget");
      if (value.isNegative()) {
        throw new IllegalArgumentException("throttleBudget must not be negative, was " + value);
      }
      this.throttleBudget = value;
      return this;
    }

    /**
     * Connections an operation may use when they keep being lost, 1 to 10 (default 4). Connections given up because
     * Exchange throttled a command do not count: {@link #throttleBudget} bounds those.
     */
    public Builder maxAttempts(int value) {
      if (value < 1 || value > 10) {
        throw new IllegalArgumentException("maxAttempts must be 1 to 10, was " + value);
      }
      this.maxAttempts = value;
      return this;
    }

    /**
     * Connect and read timeout (default 60 s); IDLE re-issues itself before it. A response that has started must
     * then keep coming at 1 KiB/s, and one operation may read for ten timeouts plus one second per KiB.
     */
    public Builder timeout(Duration value) {
      this.timeout = Arguments.positive(value, "timeout");
      return this;
    }

    /** Whether log lines may show mailbox addresses (default false: {@code i***@contoso.com}). */
    public Builder logPii(boolean value) {
      this.logPii = value;
      return this;
    }

    /**
     * How many bytes of small messages (up to 1 MB each) {@link ImapMailboxConnector#openMime} may fetch ahead and
     * hold, in one command, when a sync batch or listing page is read message by message (default 8 MB; 0 turns it
     * off, and every message is then streamed with its own commands). Larger messages are always streamed.
     */
    public Builder readAhead(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("readAhead must not be negative, was " + bytes);
      }
      this.readAhead = bytes;
      return this;
    }

    public ImapMailboxConnector build() {
      if (mailbox == null || credential == null) {
        throw new IllegalStateException("missing required setting(s):" + (mailbox == null ? " mailbox()" : "")
            + (credential == null ? " credential()" : ""));
      }
      if (startTls && insecure) {
        throw new IllegalStateException("startTls() and insecurePlaintextForTestsOnly() contradict each other:"
            + " choose one");
      }
      return new ImapMailboxConnector(this);
    }
  }
}
