package org.o365mail.graph.internal;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The {@link MailboxState} of each app and mailbox, kept while an open connector uses it and, once none does, among
 * at most {@code maxIdle} others in the order they were last released; one that has {@linkplain
 * MailboxState#settled() settled} (nothing a new one would not know) is dropped at once. A state in use is never
 * dropped, so every open connector of a mailbox shares one. Thread-safe.
 */
public final class MailboxStates {
  private final int maxIdle;
  private final Map<String, InUse> inUse = new HashMap<>();
  /** States no open connector uses, least recently released first. */
  private final LinkedHashMap<String, MailboxState> idle = new LinkedHashMap<>();

  private static final class InUse {
    final MailboxState state;
    int users = 1;

    InUse(MailboxState state) {
      this.state = state;
    }
  }

  public MailboxStates(int maxIdle) {
    if (maxIdle < 0) {
      throw new IllegalArgumentException("maxIdle must not be negative, was " + maxIdle);
    }
    this.maxIdle = maxIdle;
  }

  /** The state of {@code key} (app and mailbox), made by {@code make} if none is kept; release it when done. */
  public synchronized MailboxState acquire(String key, Supplier<MailboxState> make) {
    InUse used = inUse.get(key);
    if (used != null) {
      used.users++;
      return used.state;
    }
    MailboxState state = idle.remove(key);
    if (state == null) {
      state = make.get();
    }
    inUse.put(key, new InUse(state));
    trim();
    return state;
  }

  /** A connector that used {@code state} for {@code key} closed. */
  public synchronized void release(String key, MailboxState state) {
    InUse used = inUse.get(key);
    if (used == null || used.state != state) {
      return;
    }
    if (--used.users == 0) {
      inUse.remove(key);
      idle.put(key, state);
      trim();
    }
  }

  /** Mailboxes whose state is kept, in use or not. */
  public synchronized int size() {
    trim();
    return inUse.size() + idle.size();
  }

  private void trim() {
    for (Iterator<MailboxState> it = idle.values().iterator(); it.hasNext(); ) {
      if (it.next().settled()) {
        it.remove();
      }
    }
    for (Iterator<MailboxState> it = idle.values().iterator(); idle.size() > maxIdle && it.hasNext(); ) {
      it.next();
      it.remove();
    }
  }
}
