package org.o365mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Paging, plain and reading one page ahead. */
class PagedTest {
  /** Three pages of two, recording which thread fetched which page. */
  static final class Pages implements Function<Optional<String>, Page<Integer>> {
    final List<String> fetched = new ArrayList<>();
    int failAt = -1;

    @Override
    public synchronized Page<Integer> apply(Optional<String> token) {
      int n = token.map(Integer::parseInt).orElse(0);
      fetched.add(n + "@" + Thread.currentThread().getName());
      if (n == failAt) {
        throw new MailboxException("page " + n + " failed");
      }
      return new Page<>(List.of(2 * n, 2 * n + 1), n < 2 ? Optional.of(Integer.toString(n + 1)) : Optional.empty());
    }
  }

  /** An executor that runs what it is given only when told to. */
  static final class Held implements Executor {
    final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();

    @Override
    public void execute(Runnable r) {
      tasks.add(r);
    }

    void runAll() {
      Thread t = new Thread(() -> tasks.forEach(Runnable::run), "ahead");
      t.start();
      try {
        t.join();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      tasks.clear();
    }
  }

  @Test
  void plainPaging_fetchesEachPageWhenReached() {
    Pages pages = new Pages();
    Iterator<Page<Integer>> it = new Paged<>(pages).byPage().iterator();
    it.next();
    assertThat(pages.fetched).hasSize(1);
    assertThat(new Paged<>(pages).stream().toList()).containsExactly(0, 1, 2, 3, 4, 5);
  }

  @Test
  void readingAhead_fetchesTheNextPageOnTheExecutor_once() {
    Pages pages = new Pages();
    Held executor = new Held();
    Iterator<Page<Integer>> it = new Paged<>(pages).readingAhead(executor).byPage().iterator();
    assertThat(it.next().items()).containsExactly(0, 1);
    assertThat(executor.tasks).as("page 1 handed to the executor").hasSize(1);
    executor.runAll();
    assertThat(it.next().items()).containsExactly(2, 3);
    executor.runAll();
    assertThat(it.next().items()).containsExactly(4, 5);
    assertThat(it.hasNext()).isFalse();
    assertThat(executor.tasks).as("nothing after the last page").isEmpty();
    assertThat(pages.fetched).containsExactly("0@" + Thread.currentThread().getName(), "1@ahead", "2@ahead");
  }

  @Test
  void aPageTheExecutorHasNotStarted_isFetchedByTheCaller_andNotAgain() {
    Pages pages = new Pages();
    Held executor = new Held();
    List<Integer> all = new Paged<>(pages).readingAhead(executor).stream().toList();
    assertThat(all).containsExactly(0, 1, 2, 3, 4, 5);
    executor.runAll(); // the executor gets to them late: they have run already
    assertThat(pages.fetched).hasSize(3).allMatch(f -> !f.endsWith("@ahead"));
  }

  @Test
  void aFailedFetchAhead_throwsWhenTheCallerReachesThatPage() {
    Pages pages = new Pages();
    pages.failAt = 1;
    Held executor = new Held();
    Iterator<Page<Integer>> it = new Paged<>(pages).readingAhead(executor).byPage().iterator();
    assertThat(it.next().items()).containsExactly(0, 1);
    executor.runAll();
    assertThatThrownBy(it::next).isInstanceOf(MailboxException.class).hasMessage("page 1 failed");
  }

  @Test
  void anExecutorThatRefuses_leavesTheFetchToTheCaller() {
    Pages pages = new Pages();
    Executor closed = r -> {
      throw new RejectedExecutionException("shut down");
    };
    assertThat(new Paged<>(pages).readingAhead(closed).stream().toList()).containsExactly(0, 1, 2, 3, 4, 5);
    assertThat(pages.fetched).hasSize(3);
  }
}
