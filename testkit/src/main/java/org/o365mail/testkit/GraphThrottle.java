package org.o365mail.testkit;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Exchange's throttles for Graph, per (app id, mailbox): requests in flight, with a limit ({@link
 * Faults#mailboxConcurrencyLimit()}), one over it refused; and the two windows of the Outlook service limits, requests
 * per period ({@link Faults#graphRequestWindow(int, Duration)}) and bytes uploaded per period ({@link
 * Faults#graphUploadWindow(long, Duration)}). Also keeps, per mailbox, the highest number of requests that were in
 * flight at once (refused ones not counted) and the number of refusals of each kind. Thread-safe.
 *
 * <p>The windows slide: a request counts from its arrival until exactly one window length later, so no period of
 * that length ever holds more than the limit. Microsoft's throttling-limits page gives the limits (a number of
 * requests, and of uploaded megabytes, per period) but does not say whether the period slides or is a fixed
 * interval; sliding is the stricter reading (a client that keeps it keeps any fixed interval too), so a client tested
 * here cannot rely on a reset at the turn of an interval. A refused request still counts against the request window:
 * Microsoft's throttling guidance (concepts/throttling.md, microsoftgraph/microsoft-graph-docs-contrib) says usage
 * keeps being logged while a client is throttled, which is why it tells clients not to retry before the {@code
 * Retry-After}; a client that does only pushes the window further out. A refused upload adds no bytes (nothing was
 * stored; the page does not say).
 */
final class GraphThrottle {
  private final Object lock = new Object();
  private final Map<String, Integer> perAppAndMailbox = new HashMap<>();
  private final Map<String, Integer> perMailbox = new HashMap<>();
  private final Map<String, Integer> peaks = new HashMap<>();
  private final Map<String, SlidingLog> requestWindows = new HashMap<>();
  private final Map<String, SlidingLog> uploadWindows = new HashMap<>();
  private long rejections;
  private long windowRejections;
  private long uploadRejections;

  /**
   * Counts one request of the app on the mailbox against the request window: empty when it is admitted, else how long
   * until the window has room again (for the {@code Retry-After}). Refused requests are logged too, up to twice the
   * limit (a client hammering a full window cannot grow the log without bound).
   */
  Optional<Duration> countRequest(String appId, String mailbox, long nowMillis, int limit, Duration window) {
    long length = window.toMillis();
    synchronized (lock) {
      SlidingLog log = requestWindows.computeIfAbsent(appId + "\n" + mailbox, k -> new SlidingLog());
      long inWindow = log.total(nowMillis, length);
      if (inWindow < limit) {
        log.add(nowMillis, 1);
        return Optional.empty();
      }
      if (inWindow < 2L * limit) {
        log.add(nowMillis, 1);
      }
      windowRejections++;
      // room for one more once all but limit - 1 of what is logged has aged out
      return Optional.of(Duration.ofMillis(log.millisUntilAtMost(limit - 1L, nowMillis, length)));
    }
  }

  /**
   * Counts {@code bytes} uploaded by the app to the mailbox against the upload window: empty when admitted, else how
   * long until the window has room for them. An upload larger than the whole window is admitted when the window is
   * empty (the pages do not say; refusing it for good would make it impossible).
   */
  Optional<Duration> countUpload(String appId, String mailbox, long bytes, long nowMillis, long limit, Duration window) {
    if (bytes <= 0) {
      return Optional.empty();
    }
    long length = window.toMillis();
    synchronized (lock) {
      SlidingLog log = uploadWindows.computeIfAbsent(appId + "\n" + mailbox, k -> new SlidingLog());
      long inWindow = log.total(nowMillis, length);
      if (inWindow + bytes <= limit || inWindow == 0) {
        log.add(nowMillis, bytes);
        return Optional.empty();
      }
      uploadRejections++;
      return Optional.of(Duration.ofMillis(log.millisUntilAtMost(limit - bytes, nowMillis, length)));
    }
  }

  long windowRejections() {
    synchronized (lock) {
      return windowRejections;
    }
  }

  long uploadRejections() {
    synchronized (lock) {
      return uploadRejections;
    }
  }

  /** Takes a slot, or returns false (and counts a rejection) when the app already has {@code limit} in flight. */
  boolean tryAcquire(String appId, String mailbox, int limit) {
    String key = appId + "\n" + mailbox;
    synchronized (lock) {
      int current = perAppAndMailbox.getOrDefault(key, 0);
      if (current >= limit) {
        rejections++;
        return false;
      }
      perAppAndMailbox.put(key, current + 1);
      int onMailbox = perMailbox.merge(mailbox, 1, Integer::sum);
      peaks.merge(mailbox, onMailbox, Math::max);
      return true;
    }
  }

  void release(String appId, String mailbox) {
    String key = appId + "\n" + mailbox;
    synchronized (lock) {
      perAppAndMailbox.computeIfPresent(key, (k, v) -> v <= 1 ? null : v - 1);
      perMailbox.computeIfPresent(mailbox, (k, v) -> v <= 1 ? null : v - 1);
    }
  }

  int peak(String mailbox) {
    synchronized (lock) {
      return peaks.getOrDefault(mailbox, 0);
    }
  }

  long rejections() {
    synchronized (lock) {
      return rejections;
    }
  }
}
