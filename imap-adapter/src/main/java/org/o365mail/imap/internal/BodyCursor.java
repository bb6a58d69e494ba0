package org.o365mail.imap.internal;

import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;
import org.eclipse.angus.mail.iap.ByteArray;
import org.eclipse.angus.mail.iap.ProtocolException;
import org.eclipse.angus.mail.iap.Response;
import org.eclipse.angus.mail.imap.protocol.BODY;
import org.eclipse.angus.mail.imap.protocol.FetchResponse;

/**
 * One {@code UID FETCH <set> (UID BODY.PEEK[])} left running while its answers are read one message at a time,
 * as an import opens them: a whole batch of small messages costs one command, yet only the message being read is
 * in memory. Messages passed over go to a {@link Sink} (which may keep some). The connection can do nothing else
 * while the command runs, so {@link ImapConnection#settle()} drains it before any other command. Not thread-safe:
 * used under the session's lock.
 */
public final class BodyCursor {
  /** Receives messages the cursor passes over or drains. */
  @FunctionalInterface
  public interface Sink {
    void accept(long uid, ByteArray bytes);
  }

  private final ImapConnection connection;
  private final String folder;
  private final long uidValidity;
  private final long[] uids;
  private final Sink sink;
  private final String tag;
  private long position;
  private boolean done;

  private BodyCursor(ImapConnection connection, String folder, long uidValidity, long[] uids, Sink sink, String tag) {
    this.connection = connection;
    this.folder = folder;
    this.uidValidity = uidValidity;
    this.uids = uids;
    this.sink = sink;
    this.tag = tag;
  }

  /** Sends the FETCH for {@code uids} of the selected folder and leaves its answers to be read. */
  public static BodyCursor start(ImapConnection connection, String folder, long uidValidity, long[] uids, Sink sink)
      throws IOException, ProtocolException {
    long[] sorted = uids.clone();
    Arrays.sort(sorted);
    String set = org.eclipse.angus.mail.imap.protocol.UIDSet.toString(
        org.eclipse.angus.mail.imap.protocol.UIDSet.createUIDSets(sorted));
    String tag = connection.send("UID FETCH " + set + " (UID BODY.PEEK[])");
    BodyCursor cursor = new BodyCursor(connection, folder.toLowerCase(Locale.ROOT), uidValidity, sorted, sink, tag);
    connection.cursor(cursor);
    return cursor;
  }

  /** Whether the message is still ahead in this cursor's answers. */
  public boolean covers(String otherFolder, long otherValidity, long uid) {
    return !done && uidValidity == otherValidity && folder.equals(otherFolder.toLowerCase(Locale.ROOT))
        && uid > position && Arrays.binarySearch(uids, uid) >= 0;
  }

  /**
   * Reads answers up to {@code uid}'s; those before it go to the sink.
   *
   * @return its content, or null when the command ended without it (the message is gone)
   */
  public ByteArray next(long uid) throws IOException, ProtocolException {
    while (!done) {
      Response r;
      try {
        r = connection.read();
      } catch (org.eclipse.angus.mail.iap.ParsingException e) {
        // an answer Angus cannot parse: skipped, as Angus's own command loop does
        continue;
      }
      if (r.isTagged() && tag.equals(r.getTag())) {
        finish();
        connection.result(r);
        return null;
      }
      if (r.isBYE()) {
        finish();
        connection.result(r);
        return null;
      }
      if (!(r instanceof FetchResponse f)) {
        continue;
      }
      BODY body = f.getItem(BODY.class);
      long u = Summaries.uid(f);
      if (body == null || u < 0 || !body.getSection().isEmpty()) {
        continue;
      }
      position = Math.max(position, u);
      ByteArray bytes = body.getByteArray() == null ? new ByteArray(0) : body.getByteArray();
      if (u == uid) {
        return bytes;
      }
      sink.accept(u, bytes);
    }
    return null;
  }

  /** Reads every remaining answer into the sink, leaving the connection free. */
  public void drain() throws IOException, ProtocolException {
    next(-1);
  }

  public boolean done() {
    return done;
  }

  /**
   * Whether every planned message has been read and only the end of the command (its tagged answer) is still to
   * come: what a caller that took the last message leaves behind.
   */
  public boolean atEnd() {
    return !done && (uids.length == 0 || position >= uids[uids.length - 1]);
  }

  private void finish() {
    done = true;
    connection.cursor(null);
  }
}
