package org.o365mail.graph;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxConnector.MimeConsumer;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;
import org.o365mail.graph.internal.Batcher;
import org.o365mail.graph.internal.GraphCall;
import org.o365mail.graph.internal.GraphCall.Access;
import org.o365mail.graph.internal.GraphErrors.Target;
import org.o365mail.graph.internal.StalledBodies;

/**
 * The MIME of messages: one streamed from {@code $value}, the bodies a {@link GraphMailboxConnector#sync} hands out
 * read ahead twenty to a {@code $batch}, and {@link GraphMailboxConnector#forEachMime}'s pipeline of batches on the
 * connector's threads. Thread-safe; one pipeline per {@code forEachMime} call, used by its calling thread only.
 */
final class MimeBodies {
  /** Messages up to this size are fetched in {@code $batch} by {@link #forEachMime}; bigger ones are streamed. */
  static final long BATCH_MIME_LIMIT = 256 * 1024;

  private final GraphSession session;
  private final ConnectorThreads threads;
  private final MimeReadAhead readAhead;

  MimeBodies(GraphSession session, ConnectorThreads threads) {
    this.session = session;
    this.threads = threads;
    // a read the pool has not started yet is run by the thread that needs it, so a busy pool slows nobody down
    this.readAhead = new MimeReadAhead(Batcher.MAX_ITEMS, BATCH_MIME_LIMIT, threads.readAhead(),
        this::fetchMimeBodies);
  }

  /** The caller reads these next: twenty to a {@code $batch}, one batch ahead. */
  void plan(List<MessageSummary> messages) {
    readAhead.plan(messages);
  }

  /** Drops what was read ahead and not taken. */
  void clear() {
    readAhead.clear();
  }

  InputStream open(MessageId id) {
    requireNonNull(id, "id");
    Optional<byte[]> ahead = readAhead.take(id.value());
    if (ahead.isPresent()) {
      return new ByteArrayInputStream(ahead.get());
    }
    try {
      InputStream in = session.message(id).content().get(rc -> {
        rc.options.add(GraphCall.READ);
        rc.headers.add("Prefer", GraphSession.PREFER_IMMUTABLE);
      });
      if (in == null) {
        throw new MailboxException("Graph sent no MIME for message " + id);
      }
      return StalledBodies.guard(in, "the MIME of message " + id, session.transport().timeout());
    } catch (RuntimeException e) {
      throw session.errors().map(e, Target.MESSAGE, "reading the MIME of message " + id, Access.READ);
    }
  }

  void forEachMime(Iterable<MessageSummary> messages, MimeConsumer consumer) {
    requireNonNull(messages, "messages");
    requireNonNull(consumer, "consumer");
    Pipeline pipeline = new Pipeline(new Units(messages.iterator()), session.transport().governor().maxConcurrent());
    try {
      for (Unit unit = pipeline.next(); unit != null; unit = pipeline.next()) {
        if (unit.fetch() == null) {
          MessageSummary m = unit.messages().get(0);
          try (InputStream in = open(m.id())) {
            consumer.accept(m, in);
          }
          continue;
        }
        List<Batcher.Result> results = Checks.await(unit.fetch(), "fetching a batch of MIME");
        for (int i = 0; i < unit.messages().size(); i++) {
          Batcher.Result r = results.get(i);
          MessageSummary m = unit.messages().get(i);
          if (!r.ok()) {
            throw session.errors().map(r.failure(), Target.MESSAGE, "reading the MIME of message " + m.id(),
                Access.READ, null);
          }
          byte[] mime = r.mime();
          if (mime == null) {
            // the item's body did not decode to a message exactly: read on its own, never handed on as it came
            try (InputStream in = open(m.id())) {
              consumer.accept(m, in);
            }
            continue;
          }
          consumer.accept(m, new ByteArrayInputStream(mime));
        }
      }
    } catch (IOException e) {
      throw MailboxConnector.streamFailure("handing over MIME", e);
    } finally {
      pipeline.cancel();
    }
  }

  /** Messages read together: a batch of small ones (fetched ahead), or one too big for a batch (streamed). */
  private record Unit(List<MessageSummary> messages, CompletableFuture<List<Batcher.Result>> fetch) {}

  /**
   * The batches of a {@link #forEachMime}: as many in flight as the mailbox has slots, a new one sent as soon as any
   * finishes (not only the one the caller waits for), and at most twice that many fetched ahead of the caller.
   * Used by the calling thread only.
   */
  private final class Pipeline {
    private final Units units;
    private final int slots;
    /** Units not yet handed to the caller, in order; the batches among them that are not done are in flight. */
    private final Deque<Unit> ahead = new ArrayDeque<>();
    private final Executor bulk = threads.bulk();

    Pipeline(Units units, int slots) {
      this.units = units;
      this.slots = slots;
    }

    /** The next unit in order, batches topped up meanwhile; null when all were handed out. */
    Unit next() {
      refill(null);
      Unit unit = ahead.poll();
      if (unit == null || unit.fetch() == null) {
        return unit;
      }
      while (!unit.fetch().isDone()) {
        // whichever batch finishes first, its slot takes the next one
        List<CompletableFuture<?>> inFlight = new ArrayList<>(List.of(unit.fetch()));
        ahead.forEach(u -> {
          if (u.fetch() != null && !u.fetch().isDone()) {
            inFlight.add(u.fetch());
          }
        });
        try {
          CompletableFuture.anyOf(inFlight.toArray(CompletableFuture<?>[]::new)).get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new MailboxException("interrupted while fetching MIME", e);
        } catch (ExecutionException e) {
          // one finished by failing: its failure is thrown when its unit's turn comes
        }
        refill(unit);
      }
      return unit;
    }

    /** Sends batches while a slot is free (the caller's {@code current} one counts) and the look-ahead has room. */
    private void refill(Unit current) {
      int running = current != null && !current.fetch().isDone() ? 1 : 0;
      for (Unit u : ahead) {
        running += u.fetch() != null && !u.fetch().isDone() ? 1 : 0;
      }
      while (running < slots && ahead.size() < 2 * slots) {
        List<MessageSummary> next = units.next();
        if (next == null) {
          return;
        }
        CompletableFuture<List<Batcher.Result>> fetch = null;
        if (isBatch(next)) {
          fetch = CompletableFuture.supplyAsync(
              () -> fetchMimeBatch(next.stream().map(MessageSummary::id).toList()), bulk);
          running++;
        }
        ahead.add(new Unit(next, fetch));
      }
    }

    void cancel() {
      ahead.forEach(u -> {
        if (u.fetch() != null) {
          u.fetch().cancel(true);
        }
      });
    }
  }

  /** Groups summaries, as they come, into batches of twenty small messages and single big ones. */
  private static final class Units {
    private final Iterator<MessageSummary> source;
    private MessageSummary big;

    Units(Iterator<MessageSummary> source) {
      this.source = source;
    }

    /** The next group, or null when there are no more summaries. */
    List<MessageSummary> next() {
      if (big != null) {
        List<MessageSummary> single = List.of(big);
        big = null;
        return single;
      }
      List<MessageSummary> group = new ArrayList<>();
      while (group.size() < Batcher.MAX_ITEMS && source.hasNext()) {
        MessageSummary m = requireNonNull(source.next(), "a message summary");
        if (m.size().orElse(-1) <= BATCH_MIME_LIMIT) { // unknown (-1) too: batched, bounded by Batcher.MAX_BODY_CHARS
          group.add(m);
        } else if (group.isEmpty()) {
          return List.of(m);
        } else {
          big = m; // after the small ones before it
          break;
        }
      }
      return group.isEmpty() ? null : group;
    }
  }

  private static boolean isBatch(List<MessageSummary> unit) {
    return unit.size() > 1 || unit.get(0).size().orElse(-1) <= BATCH_MIME_LIMIT;
  }

  /** The MIME of each message, or null for one whose item failed (it is then read on its own, errors and all). */
  private List<byte[]> fetchMimeBodies(List<String> ids) {
    List<byte[]> bodies = new ArrayList<>();
    for (Batcher.Result r : fetchMimeBatch(ids.stream().map(MessageId::new).toList())) {
      bodies.add(r.ok() ? r.mime() : null); // null: read on its own, where its error (if any) belongs
    }
    return bodies;
  }

  private List<Batcher.Result> fetchMimeBatch(List<MessageId> ids) {
    List<Batcher.Item> items = new ArrayList<>();
    for (MessageId id : ids) {
      items.add(new Batcher.Item("GET", session.messageUrl(id) + "/$value", null));
    }
    try {
      return session.batcher().runInSequence(items, Access.READ);
    } catch (Batcher.BodyTooLarge e) {
      // a message of unknown size was too big for a batch: each is read on its own, streamed
      return ids.stream().map(id -> new Batcher.Result(200, Map.of(), null, null)).toList();
    }
  }
}
