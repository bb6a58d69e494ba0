package org.o365mail;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
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

  /** @param fetcher fetches the page after a continuation token (empty for the first page) */
  public Paged(Function<Optional<String>, Page<T>> fetcher) {
    this.fetcher = Objects.requireNonNull(fetcher, "fetcher");
  }

  /** A listing held in memory, as one page. */
  public static <T> Paged<T> of(java.util.List<T> items) {
    return new Paged<>(token -> new Page<>(items, Optional.empty()));
  }

  /** The pages, fetched as iteration reaches them. */
  public Iterable<Page<T>> byPage() {
    return () -> new Iterator<>() {
      private Optional<String> next = Optional.empty();
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
        Page<T> page = fetcher.apply(next);
        next = page.continuationToken();
        done = next.isEmpty();
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
}
