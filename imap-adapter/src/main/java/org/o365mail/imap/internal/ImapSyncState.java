package org.o365mail.imap.internal;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import org.o365mail.SyncState;

/**
 * The IMAP connector's sync checkpoint of one folder: UIDVALIDITY and the last UID handed out, plus the
 * INTERNALDATE and Message-ID of that message, by which the place is found again when UIDVALIDITY changes.
 * Serialized as {@code imap1;<UIDVALIDITY>;<last UID>;<epoch seconds>;<base64url Message-ID>;<base64url path>}.
 *
 * @param path the folder path
 * @param uidValidity the folder's UIDVALIDITY when the state was made
 * @param lastUid the last UID handed out (0: none)
 * @param lastReceived INTERNALDATE of that message, when there was one
 * @param lastMessageId Message-ID of that message, when it had one
 */
public record ImapSyncState(String path, long uidValidity, long lastUid, Optional<Instant> lastReceived,
    Optional<String> lastMessageId) {
  private static final String VERSION = "imap1";

  public ImapSyncState {
    requireNonNull(path, "path");
    requireNonNull(lastReceived, "lastReceived");
    requireNonNull(lastMessageId, "lastMessageId");
  }

  public SyncState toSyncState() {
    return new SyncState(VERSION + ";" + uidValidity + ";" + lastUid + ";"
        + lastReceived.map(i -> Long.toString(i.getEpochSecond())).orElse("") + ";"
        + encode(lastMessageId.orElse("")) + ";" + encode(path));
  }

  /**
   * Parses a state this connector made for {@code path}.
   *
   * @throws IllegalArgumentException if it is not one, or was made for another folder
   */
  public static ImapSyncState parse(SyncState state, String path) {
    String[] f = state.value().split(";", -1);
    if (f.length != 6 || !f[0].equals(VERSION)) {
      throw new IllegalArgumentException("not a sync state of the IMAP connector: " + state);
    }
    try {
      String statePath = decode(f[5]);
      if (!statePath.equalsIgnoreCase(path)) {
        throw new IllegalArgumentException("the sync state belongs to folder '" + statePath + "', not '" + path + "'");
      }
      Optional<Instant> received = f[3].isEmpty() ? Optional.empty() : Optional.of(Instant.ofEpochSecond(Long.parseLong(f[3])));
      String messageId = decode(f[4]);
      return new ImapSyncState(path, Long.parseLong(f[1]), Long.parseLong(f[2]), received,
          messageId.isEmpty() ? Optional.empty() : Optional.of(messageId));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a sync state of the IMAP connector: " + state, e);
    }
  }

  private static String encode(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String s) {
    return new String(Base64.getUrlDecoder().decode(s), StandardCharsets.UTF_8);
  }
}
