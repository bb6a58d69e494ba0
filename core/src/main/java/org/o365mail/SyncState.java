package org.o365mail;

import static java.util.Objects.requireNonNull;

/**
 * Where incremental sync of one folder stands: opaque to callers, stored by them as the checkpoint (a Graph
 * delta link; for IMAP the UIDVALIDITY and the last UID). {@link #BEGINNING} syncs every message already in
 * the folder; {@link #NOW} only those that arrive from now on.
 *
 * @param value the connector's serialized state; {@code ""} for the beginning, {@code "now"} for now
 */
public record SyncState(String value) {
  public static final SyncState BEGINNING = new SyncState("");
  public static final SyncState NOW = new SyncState("now");

  public SyncState {
    requireNonNull(value, "value");
  }

  public boolean isBeginning() {
    return value.isEmpty();
  }

  public boolean isNow() {
    return value.equals("now");
  }

  @Override
  public String toString() {
    return value.length() > 60 ? "SyncState[" + value.substring(0, 57) + "...]" : "SyncState[" + value + "]";
  }
}
