package org.o365mail.graph.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where delta sync of one folder stands, as the {@code SyncState} stores it: the link to call next (a delta link
 * between rounds, a next link when a round was cut by {@code maxMessages}) and which messages were already seen,
 * so that neither a later round nor a re-sync after {@code 410 SyncStateNotFound} hands any of them out again.
 *
 * <p><b>No assumption about order.</b> Microsoft's delta documentation says not to assume any sequence of the
 * answers and that the same item can show up anywhere in the {@code @odata.nextLink} sequence (delta-query-overview,
 * "Do not assume a specific sequence"; delta-query-messages). So what was seen is decided from exact (hashed) ids and
 * from one received-time floor that moves only when a round <em>completes</em>:
 *
 * <ul>
 *   <li>{@link #floor}: when a round reaches its delta link, every message then in the folder has been visited, in
 *       this round or an earlier one. A message that shows up later with a received time at or below the floor is an
 *       old message that changed (read, flagged, categorised) or was moved in from another folder, and counts as
 *       seen. The floor is {@link #GRACE} below the newest received time of the completed round, because Exchange
 *       stamps {@code receivedDateTime} when delivery starts and shows the message when it commits: a large message
 *       can appear after smaller ones received seconds later.
 *   <li>{@link #recent}: the exact ids of every visited message above the floor (at most {@link #MAX_RECENT}; past
 *       that the floor rises from below, the oldest seconds first). A message above the floor is seen only if its id
 *       is here.
 *   <li>{@link #round}: the exact ids visited by the round in progress (the newest {@link #MAX_RECENT} received
 *       seconds of them when there are more). They make a cut round's repeats, and what a round broken by a {@code
 *       410} had handed out, seen; at completion they join {@link #recent} and the floor moves up to {@link #GRACE}
 *       below the round's newest received time.
 * </ul>
 *
 * <p>Within a round nothing is judged by position, so whatever order, repetition or paging the service chooses, a
 * message not visited before is handed out. What can be handed out twice: an item the service repeats in a later
 * call of a cut round after more than {@link #MAX_RECENT} newer messages (the importer drops it by its key); what counts as
 * seen without a visit: a message that appears more than {@link #GRACE} after a message received later than it was
 * seen by a completed round. Memory and the stored state are bounded by {@code 2 x MAX_RECENT} ids whatever the
 * folder's size. Not thread-safe; one per sync call.
 */
final class SyncCursor {
  private static final String VERSION = "g3";
  private static final String VERSION_2 = "g2";
  private static final String VERSION_1 = "g1";
  /** How far below the newest received time of a round messages are judged by their exact ids, in seconds. */
  static final long GRACE = 120;
  /** The most ids kept above each floor; past it the floor rises from below. */
  static final int MAX_RECENT = 1000;
  /** Bucket of the messages Graph sent without a received time: judged by id only, never below a floor. */
  static final long UNKNOWN_TIME = Long.MAX_VALUE;
  private static final long NONE = Long.MIN_VALUE;

  /** Exact hashed ids by received second, with their count and the floor below which none are kept. */
  static final class Ids {
    final TreeMap<Long, Set<String>> bySecond = new TreeMap<>();
    int count;
    long floor = NONE;

    boolean contains(long t, String h) {
      Set<String> at = bySecond.get(t);
      return at != null && at.contains(h);
    }

    void add(long t, String h) {
      if ((t == UNKNOWN_TIME || t > floor) && bySecond.computeIfAbsent(t, k -> new TreeSet<>()).add(h)) {
        count++;
      }
    }

    /** Raises the floor to {@code to}, then past the oldest seconds while more than {@link #MAX_RECENT} remain. */
    void raise(long to) {
      floor = Math.max(floor, to);
      while (!bySecond.isEmpty() && bySecond.firstKey() <= floor) {
        count -= bySecond.pollFirstEntry().getValue().size();
      }
      while (count > MAX_RECENT && bySecond.firstKey() != UNKNOWN_TIME) {
        Map.Entry<Long, Set<String>> oldest = bySecond.pollFirstEntry();
        count -= oldest.getValue().size();
        floor = Math.max(floor, oldest.getKey());
      }
    }

    void clear() {
      bySecond.clear();
      count = 0;
      floor = NONE;
    }
  }

  String link;
  boolean midRound;
  /** Pages of the round in progress without a single entry since the last page with one (Graph's empty pages). */
  int emptyPages;
  /** Hashes of the round's next links so far, the newest {@link #MAX_LINKS} (oldest first). */
  final java.util.ArrayDeque<String> links = new java.util.ArrayDeque<>();
  /** The most next-link hashes kept for a round: 12 characters each, some 1.3 KB of state at most. */
  static final int MAX_LINKS = 100;
  /**
   * The ids of the visited messages above the floor; messages received at or before {@code recent.floor} count
   * as seen ({@link #NONE}: nothing yet).
   */
  final Ids recent = new Ids();
  /** The ids the round in progress has visited (above its floor, raised only past {@link #MAX_RECENT} ids). */
  final Ids round = new Ids();

  static SyncCursor fresh() {
    return new SyncCursor();
  }

  /** The id as kept in the state: 12 characters of its SHA-256. */
  static String hash(String id) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The received second below which (inclusive) every message counts as seen. */
  long floor() {
    return recent.floor;
  }

  /** Whether a message received at second {@code t} ({@link #UNKNOWN_TIME} if unknown) with hashed id {@code h} was seen. */
  boolean seen(long t, String h) {
    if (t != UNKNOWN_TIME && t <= recent.floor) {
      return true;
    }
    return recent.contains(t, h) || round.contains(t, h);
  }

  /** Records that the round in progress has visited (handed out or skipped) a message. */
  void visit(long t, String h) {
    round.add(t, h);
    if (round.count > MAX_RECENT) {
      round.raise(round.floor);
    }
  }

  /** The round reached its delta link: every message in the folder has been visited, in it or before it. */
  void completeRound(String deltaLink) {
    link = deltaLink;
    midRound = false;
    newRound();
    for (Map.Entry<Long, Set<String>> e : round.bySecond.entrySet()) {
      for (String h : e.getValue()) {
        recent.add(e.getKey(), h);
      }
    }
    // GRACE below the round's newest received second; when the cap dropped that second, the round's floor is above
    Long top = round.bySecond.lowerKey(UNKNOWN_TIME);
    recent.raise(Math.max(round.floor, top == null ? NONE : top - GRACE));
    round.clear();
  }

  /** The round was cut before its end; {@code nextLink} continues it. */
  void cut(String nextLink) {
    link = nextLink;
    midRound = true;
  }

  /**
   * Records a next link of the round in progress; false if the round was given it before (among the last {@link
   * #MAX_LINKS}): following it again would loop.
   */
  boolean newLink(String nextLink) {
    String h = hash(nextLink);
    if (links.contains(h)) {
      return false;
    }
    links.addLast(h);
    if (links.size() > MAX_LINKS) {
      links.removeFirst();
    }
    return true;
  }

  /** Counts a page of the round in progress; returns the empty pages in a row so far. */
  int page(boolean empty) {
    emptyPages = empty ? emptyPages + 1 : 0;
    return emptyPages;
  }

  private void newRound() {
    emptyPages = 0;
    links.clear();
  }

  /**
   * The service forgot the sync state: a new round starts from the beginning, keeping what was seen. What the
   * broken round visited stays in {@link #round}: the new round visits the whole folder again before it completes.
   */
  void restart() {
    link = null;
    midRound = false;
    newRound();
  }

  String encode() {
    StringBuilder b = new StringBuilder(VERSION).append('\n');
    b.append(midRound ? 'R' : 'D').append(' ').append(link == null ? "-" : link).append('\n');
    b.append("F ").append(time(recent.floor)).append('\n');
    b.append("T ").append(time(round.floor)).append('\n');
    append(b, 'N', recent);
    append(b, 'M', round);
    if (emptyPages > 0) {
      b.append("E ").append(emptyPages).append('\n');
    }
    if (!links.isEmpty()) {
      b.append("L ").append(String.join(",", links)).append('\n');
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static String time(long t) {
    return t == NONE ? "-" : Long.toString(t);
  }

  private static long time(String s) {
    return s.equals("-") ? NONE : Long.parseLong(s);
  }

  private static void append(StringBuilder b, char kind, Ids ids) {
    for (Map.Entry<Long, Set<String>> e : ids.bySecond.entrySet()) {
      b.append(kind).append(' ').append(e.getKey()).append(' ').append(String.join(",", e.getValue())).append('\n');
    }
  }

  static SyncCursor decode(String value) {
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw invalid(e);
    }
    String[] lines = text.split("\n");
    if (lines.length < 2) {
      throw invalid(null);
    }
    try {
      return switch (lines[0]) {
        case VERSION -> decode3(lines);
        case VERSION_2, VERSION_1 -> decodeSpans(lines, lines[0].equals(VERSION_1));
        default -> throw invalid(null);
      };
    } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
      throw invalid(e);
    }
  }

  private static IllegalArgumentException invalid(Exception cause) {
    return new IllegalArgumentException("not a sync state of the Graph connector", cause);
  }

  private static void head(SyncCursor c, String line) {
    String[] head = line.split(" ", 2);
    c.midRound = head[0].equals("R");
    c.link = head.length < 2 || head[1].equals("-") ? null : head[1];
  }

  private static SyncCursor decode3(String[] lines) {
    SyncCursor c = new SyncCursor();
    head(c, lines[1]);
    for (int i = 2; i < lines.length; i++) {
      String[] f = lines[i].split(" ");
      switch (f[0]) {
        case "F" -> c.recent.floor = time(f[1]);
        case "T" -> c.round.floor = time(f[f.length - 1]); // once "T <newest second> <floor>"
        case "E" -> c.emptyPages = Math.max(0, Integer.parseInt(f[1]));
        case "L" -> {
          for (String h : f[1].split(",")) {
            if (c.links.size() < MAX_LINKS) {
              c.links.addLast(h);
            }
          }
        }
        case "N", "M" -> {
          if (f.length != 3) {
            throw invalid(null);
          }
          Ids ids = f[0].equals("N") ? c.recent : c.round;
          for (String h : f[2].split(",")) {
            ids.add(Long.parseLong(f[1]), h);
          }
        }
        default -> throw invalid(null);
      }
    }
    return c;
  }

  /**
   * A state written by the span-based cursor (formats g1 and g2). Its last completed round is the span open below:
   * everything up to that span's top was seen, exactly so at the top second; g2 also kept exact ids above its
   * horizon. A cut round's spans are not trusted (they assumed an order); what the cut round visited is handed out
   * again and dropped by the importer by its key.
   */
  private static SyncCursor decodeSpans(String[] lines, boolean first) {
    SyncCursor c = new SyncCursor();
    head(c, lines[1]);
    long horizon = NONE;
    List<String[]> spans = new ArrayList<>();
    TreeMap<Long, Set<String>> exact = new TreeMap<>();
    for (int i = 2; i < lines.length; i++) {
      String[] f = lines[i].split(" ");
      if (f[0].equals("H")) {
        horizon = time(f[1]);
      } else if (f[0].equals("N")) {
        if (f.length != 3) {
          throw invalid(null);
        }
        exact.computeIfAbsent(Long.parseLong(f[1]), k -> new TreeSet<>()).addAll(List.of(f[2].split(",")));
      } else if (f.length == 5 && (f[0].equals("S") || f[0].equals("C"))) {
        spans.add(f);
      } else {
        throw invalid(null);
      }
    }
    for (String[] s : spans) {
      if (s[0].equals("S") && s[1].equals("-")) {
        long top = Long.parseLong(s[3]);
        Set<String> topIds = s[4].equals(".") ? Set.of() : Set.of(s[4].split(","));
        // g1 judged everything by its spans; g2 judged by exact ids above its horizon
        long floor = first ? top - 1 : Math.min(horizon, top - 1);
        c.recent.floor = Math.max(c.recent.floor, floor);
        exact.computeIfAbsent(top, k -> new TreeSet<>()).addAll(topIds);
      }
    }
    exact.forEach((t, ids) -> ids.forEach(h -> c.recent.add(t, h)));
    c.recent.raise(c.recent.floor);
    return c;
  }
}
