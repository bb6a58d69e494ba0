package org.o365mail.graph;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.o365mail.MailboxException;
import org.o365mail.MessageSummary;

/**
 * The MIME of the messages a sync handed out, read ahead of the caller {@code batchSize} to a {@code $batch}: when
 * the caller opens a planned message, the batch holding it and the next one are fetched, so that an importer
 * reading its messages one at a time pays one round trip per batch instead of one per message. Messages up to {@code
 * itemLimit}, or of unknown size, are planned; a message the read-ahead could not fetch (its item failed, the
 * batch failed, or it was never planned) is for the caller to read on its own, so errors surface where they did
 * before. Only a caller reading on through the plan is read ahead for: one that passes planned messages by (an
 * importer skipping what it had, as after a resync) reads the next on its own. Holds at most two batches' content.
 * The executor may serve many mailboxes: a batch it has not started when the caller needs it is fetched by the
 * caller. Thread-safe.
 */
final class MimeReadAhead {
  private final int batchSize;
  private final long itemLimit;
  private final Executor executor;
  /** Fetches the MIME of the ids given, in order; an element is null where that message could not be fetched. */
  private final Function<List<String>, List<byte[]>> fetch;

  private List<String> order = List.of();
  private Map<String, Integer> position = Map.of();
  private final Set<String> taken = new HashSet<>();
  /** Where in the plan the caller took a message last: reading on from there is what is worth reading ahead for. */
  private int lastTaken = -1;
  /** Each message fetched or on its way, with the fetch it waits for (a caller may run one not started yet). */
  private final Map<String, Pending> fetched = new HashMap<>();

  private record Pending(CompletableFuture<byte[]> mime, Fetch fetch) {}

  /** One batch's fetch: run once, by the executor or by the first caller who needs it before the executor did. */
  private final class Fetch implements Runnable {
    private final List<String> ids;
    private final Map<String, CompletableFuture<byte[]>> futures;
    private final AtomicBoolean started = new AtomicBoolean();

    Fetch(List<String> ids, Map<String, CompletableFuture<byte[]>> futures) {
      this.ids = ids;
      this.futures = futures;
    }

    @Override
    public void run() {
      if (!started.compareAndSet(false, true)) {
        return;
      }
      try {
        List<byte[]> bodies = fetch.apply(ids);
        for (int i = 0; i < ids.size(); i++) {
          futures.get(ids.get(i)).complete(i < bodies.size() ? bodies.get(i) : null);
        }
      } catch (RuntimeException e) {
        futures.values().forEach(f -> f.complete(null)); // each is read on its own, where its error belongs
      }
    }
  }

  MimeReadAhead(int batchSize, long itemLimit, Executor executor, Function<List<String>, List<byte[]>> fetch) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be at least 1, was " + batchSize);
    }
    this.batchSize = batchSize;
    this.itemLimit = itemLimit;
    this.executor = executor;
    this.fetch = fetch;
  }

  /** Plans the messages a sync just handed out, in their order, in place of the previous plan. */
  synchronized void plan(List<MessageSummary> messages) {
    List<String> ids = new ArrayList<>();
    Map<String, Integer> at = new HashMap<>();
    for (MessageSummary m : messages) {
      // a size Graph did not give (-1) is planned too: a message of unknown size costs no request of its own
      if (m.size().orElse(-1) <= itemLimit && at.putIfAbsent(m.id().value(), ids.size()) == null) {
        ids.add(m.id().value());
      }
    }
    order = List.copyOf(ids);
    position = Map.copyOf(at);
    taken.clear();
    lastTaken = -1;
    fetched.entrySet().removeIf(e -> {
      if (!at.containsKey(e.getKey())) {
        e.getValue().mime().cancel(false);
        return true;
      }
      return false;
    });
  }

  /**
   * The MIME of message {@code id}, read ahead (waiting for its batch if it is on its way), or empty when the caller
   * should read it on its own.
   */
  Optional<byte[]> take(String id) {
    Pending mine;
    synchronized (this) {
      Integer at = position.get(id);
      if (at == null || !taken.add(id)) {
        return Optional.empty(); // not planned, or read once already: whatever changed since, read it afresh
      }
      boolean readingOn = at == lastTaken + 1;
      lastTaken = at;
      mine = fetched.remove(id);
      if (mine == null) {
        if (!readingOn) {
          // the caller passed planned messages by (it had them already, as after a resync): the ones after this
          // may be passed by too, so this one is read on its own and nothing is read ahead until it reads on
          return Optional.empty();
        }
        schedule(at);
        mine = fetched.remove(id);
      }
      if (readingOn) {
        keepOneBatchAhead(at);
      }
    }
    if (mine == null) {
      return Optional.empty();
    }
    mine.fetch().run(); // a no-op once the executor started it; else (it serves other mailboxes too) done here
    try {
      return Optional.ofNullable(mine.mime().get());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MailboxException("interrupted while reading the MIME of message " + id, e);
    } catch (ExecutionException | CancellationException e) {
      return Optional.empty();
    }
  }

  /** Forgets the plan and what was fetched for it. */
  synchronized void clear() {
    fetched.values().forEach(p -> p.mime().cancel(false));
    fetched.clear();
    order = List.of();
    position = Map.of();
    taken.clear();
  }

  private void keepOneBatchAhead(int at) {
    int pending = 0;
    for (int i = at + 1; i < order.size(); i++) {
      String id = order.get(i);
      if (taken.contains(id)) {
        continue;
      }
      if (fetched.containsKey(id)) {
        pending++;
      } else {
        if (pending < batchSize) {
          schedule(i);
        }
        return;
      }
    }
  }

  /** Starts fetching up to a batch of planned messages from position {@code from} on, not taken or under way. */
  private void schedule(int from) {
    List<String> ids = new ArrayList<>();
    for (int i = from; i < order.size() && ids.size() < batchSize; i++) {
      String id = order.get(i);
      if ((!taken.contains(id) || i == from) && !fetched.containsKey(id)) {
        ids.add(id);
      }
    }
    if (ids.isEmpty()) {
      return;
    }
    Map<String, CompletableFuture<byte[]>> futures = new HashMap<>();
    ids.forEach(id -> futures.put(id, new CompletableFuture<>()));
    Fetch task = new Fetch(List.copyOf(ids), futures);
    futures.forEach((id, f) -> fetched.put(id, new Pending(f, task)));
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      futures.values().forEach(f -> f.complete(null)); // closed
    }
  }
}
