package org.o365mail;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A lazily fetched listing: iterate it item by item, {@link #stream()} it, or walk it {@link #byPage()}. Each
 * page is fetched when iteration reaches it; paging tokens ({@code @odata.nextLink}, IMAP UID ranges) never show.
 * Iterating twice fetches twice.
 *
 * @param <T> the item type
 */
public final class Paged<T> implements Iterable<T> {
  private final Function<Optional<String>, Page<T>> fetcher;
  private final Executor readAhead;

  /** @param fetcher fetches the page after a continuation token (empty for the first page) */
  public Paged(Function<Optional<String>, Page<T>> fetcher) {
    this(fetcher, null);
  }

  private Paged(Function<Optional<String>, Page<T>> fetcher, Executor readAhead) {
    this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
    this.readAhead = readAhead;
  }

  /** A listing held in memory, as one page. */
  public static <T> Paged<T> of(java.util.List<T> items) {
    return new Paged<>(token -> new Page<>(items, Optional.empty()));
  }

  /**
   * This listing, fetching each next page on {@code executor} as soon as the one before it is handed out, so that it
   * is there (or on its way) when the caller has handled the current one. A fetch the executor has not started when
   * the caller asks for the page is run by the caller; a failed fetch throws when the caller reaches that page.
   * For connectors: callers ask for it with {@link ListOptions#readAhead(boolean)}.
   */
  public Paged<T> readingAhead(Executor executor) {
    return new Paged<>(fetcher, Objects.requireNonNull(executor, "executor"));
  }

  /** The pages, fetched as iteration reaches them (or one ahead, when {@linkplain #readingAhead reading ahead}). */
  public Iterable<Page<T>> byPage() {
    return () -> new Iterator<>() {
      private Optional<String> next = Optional.empty();
      private FutureTask<Page<T>> ahead; // run by the executor, or by the caller if it gets there first
      private boolean done;

      @Override
      public boolean hasNext() {
        return !done;
      }

      @Override
      public Page<T> next() {
        if (done) {
          throw new NoSuchElementException();
        }
        if (ahead != null) {
          ahead.run(); // no-op if the executor started it; else fetched here
        }
        Page<T> page = ahead != null ? await(ahead) : fetcher.apply(next);
        ahead = null;
        next = page.continuationToken();
        done = next.isEmpty();
        if (!done && readAhead != null) {
          Optional<String> token = next;
          ahead = new FutureTask<>(() -> fetcher.apply(token));
          try {
            readAhead.execute(ahead);
          } catch (RejectedExecutionException e) {
            // the caller fetches it when it gets there
          }
        }
        return page;
      }
    };
  }

  @Override
  public Iterator<T> iterator() {
    Iterator<Page<T>> pages = byPage().iterator();
    return new Iterator<>() {
      private Iterator<T> current = java.util.Collections.emptyIterator();

      @Override
      public boolean hasNext() {
        while (!current.hasNext() && pages.hasNext()) {
          current = pages.next().items().iterator();
        }
        return current.hasNext();
      }

      @Override
      public T next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return current.next();
      }
    };
  }

  public Stream<T> stream() {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(iterator(), Spliterator.ORDERED), false);
  }

  /** The page a read-ahead fetched; its runtime failure thrown as it was met, a checked one wrapped. */
  private static <T> Page<T> await(Future<Page<T>> ahead) {
    try {
      return ahead.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new MailboxException("interrupted while fetching a page", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw new MailboxException("fetching a page failed", e.getCause());
    }
  }
}
