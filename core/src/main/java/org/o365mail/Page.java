package org.o365mail;

import java.util.List;
import java.util.Optional;

/**
 * One page of a {@link Paged} listing.
 *
 * @param items the items of this page
 * @param continuationToken where the next page starts, empty on the last page
 * @param <T> the item type
 */
public record Page<T>(List<T> items, Optional<String> continuationToken) {
  public Page {
    items = List.copyOf(items);
  }
}
