package org.o365mail.imap.internal;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.o365mail.MailboxException;

/**
 * The cap on IMAP connections open at once among the sessions that share it (those of the connectors sharing one
 * {@code ExchangeSessions}). A session takes a place before it logs in and gives it back when its connection goes;
 * a session past the cap first logs out the least recently used idle connection of another (LOGOUT, socket
 * closed), which that session opens again on its next use, as after a lost connection. A connection in use is never
 * taken: one running a command or waiting in IDLE (its session's lock is held), or one with a streamed FETCH or a
 * body stream still being read. When every place is in use, the session waits for one, up to a bound. Thread-safe.
 */
public final class OpenConnections {
  /** A holder of a place: gives its connection up if it is idle. */
  public interface Holder {
    /**
     * Detaches the holder's connection if nothing uses it now, without blocking; the caller logs it out.
     *
     * @return the detached connection, or null if it is in use (then it keeps its place)
     */
    ImapConnection detachIfIdle();
  }

  private final int max;
  /** Holders with a place, least recently used first. */
  private final LinkedHashMap<Holder, Boolean> open = new LinkedHashMap<>(16, 0.75f, true);

  public OpenConnections(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max must be positive, was " + max);
    }
    this.max = max;
  }

  public int max() {
    return max;
  }

  /** How many places are taken now. */
  public synchronized int size() {
    return open.size();
  }

  /** Notes that {@code holder} used its connection now (it becomes the most recently used). */
  public synchronized void touch(Holder holder) {
    open.get(holder);
  }

  /**
   * Takes a place for {@code holder} before it opens a connection, logging out the least recently used idle
   * connection of another holder when all are taken (the LOGOUT ends before this returns, so the server never sees
   * more than the cap), and waiting while every place is in use.
   *
   * @param deadline {@link System#nanoTime()} past which waiting for a place fails
   * @throws MailboxException when no place came free by {@code deadline}
   */
  public void take(Holder holder, long deadline) {
    while (true) {
      ImapConnection evicted = null;
      synchronized (this) {
        if (open.containsKey(holder)) {
          open.get(holder);
          return;
        }
        if (open.size() < max) {
          open.put(holder, Boolean.TRUE);
          return;
        }
        Iterator<Map.Entry<Holder, Boolean>> lru = open.entrySet().iterator();
        while (lru.hasNext()) {
          Holder other = lru.next().getKey();
          if (other == holder) {
            continue;
          }
          ImapConnection c = other.detachIfIdle();
          if (c != null) {
            lru.remove();
            open.put(holder, Boolean.TRUE);
            evicted = c;
            break;
          }
        }
        if (evicted == null) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new MailboxException("all " + max + " IMAP connections allowed at once (ExchangeSessions"
                + " maxOpenConnections) stayed in use: raise maxOpenConnections or use fewer threads at once");
          }
          try {
            wait(Math.max(1, Math.min(20, left / 1_000_000)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new MailboxException("interrupted while waiting for one of the " + max + " IMAP connections", e);
          }
          continue;
        }
      }
      evicted.logout();
      return;
    }
  }

  /** Gives {@code holder}'s place back: its connection is closed or was never opened. */
  public synchronized void give(Holder holder) {
    if (open.remove(holder) != null) {
      notifyAll();
    }
  }
}
