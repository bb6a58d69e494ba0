package org.o365mail.graph.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where delta sync of one folder stands, as the {@code SyncState} stores it: the link to call next (a delta link
 * between rounds, a next link when a round was cut by {@code maxMessages}) and which messages were already seen,
 * so that a re-sync after {@code 410 SyncStateNotFound} hands out none of them again.
 *
 * <p>"Seen" is kept as spans of received time (whole seconds, as Graph gives them) with the ids seen at each end
 * second (hashed): a round walks the folder newest first, so everything between the newest and the oldest message
 * it has visited has been visited. A round that reaches its delta link has visited every message, so all spans
 * collapse into one that is open below. A message counts as new when no span holds it: later arrivals, and
 * messages a cut round had not reached yet.
 *
 * <p>Spans assume a message appears in the folder in the order of its received time, which holds only roughly:
 * Exchange stamps {@code receivedDateTime} when delivery starts and shows the message when it commits, so a large
 * message can appear after smaller ones received seconds later (and after a round that saw them). So the newest
 * {@link #GRACE} of received time (at most {@link #MAX_RECENT} messages) is not judged by spans but by the exact
 * (hashed) ids visited there: a message received in that window and never visited is new, wherever it falls. Older
 * than that, a message that appears in the folder only now (moved in from another folder) counts as seen. Not
 * thread-safe; one per sync call.
 */
final class SyncCursor {
  private static final String VERSION = "g2";
  private static final String VERSION_1 = "g1";
  /** How far below the newest visited received time messages are judged by their exact ids, in seconds. */
  static final long GRACE = 120;
  /** The most ids kept for that; past it the window shrinks from below. */
  static final int MAX_RECENT = 1000;

  /** A span of seen received times; {@code from == null} is open below. */
  static final class Span {
    Long from;
    final Set<String> fromIds = new TreeSet<>();
    long to;
    final Set<String> toIds = new TreeSet<>();

    Span(Long from, long to) {
      this.from = from;
      this.to = to;
    }

    boolean contains(long t, String h) {
      boolean above = from == null || t > from || t == from && fromIds.contains(h);
      boolean below = t < to || t == to && toIds.contains(h);
      return above && below;
    }

    /** Strictly overlapping, so that their union is seen throughout. */
    boolean overlaps(Span o) {
      boolean left = from == null || from < o.to;
      boolean right = o.from == null || o.from < to;
      return left && right;
    }

    void absorb(Span o) {
      if (o.from == null) {
        from = null;
        fromIds.clear();
      } else if (from != null && o.from < from) {
        from = o.from;
        fromIds.clear();
        fromIds.addAll(o.fromIds);
      } else if (from != null && o.from.longValue() == from.longValue()) {
        fromIds.addAll(o.fromIds);
      }
      if (o.to > to) {
        to = o.to;
        toIds.clear();
        toIds.addAll(o.toIds);
      } else if (o.to == to) {
        toIds.addAll(o.toIds);
      }
    }
  }

  String link;
  boolean midRound;
  final List<Span> spans = new ArrayList<>();
  Span current;
  /** Received times up to here are judged by the spans; above it by {@link #recent}. */
  long horizon = Long.MIN_VALUE;
  /** Every message visited with a received time above {@link #horizon}: time to hashed ids. */
  final TreeMap<Long, Set<String>> recent = new TreeMap<>();
  private int recentCount;

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

  boolean seen(long t, String h) {
    if (t > horizon) {
      Set<String> ids = recent.get(t);
      return ids != null && ids.contains(h);
    }
    if (current != null && current.contains(t, h)) {
      return true;
    }
    for (Span s : spans) {
      if (s.contains(t, h)) {
        return true;
      }
    }
    return false;
  }

  /** Records that the round has visited (handed out or skipped) a message. */
  void visit(long t, String h) {
    remember(t, h);
    if (current == null) {
      current = new Span(t, t);
      current.fromIds.add(h);
      current.toIds.add(h);
    } else {
      if (current.from != null && t < current.from) {
        current.from = t;
        current.fromIds.clear();
        current.fromIds.add(h);
      } else if (current.from != null && t == current.from) {
        current.fromIds.add(h);
      }
      if (t > current.to) {
        current.to = t;
        current.toIds.clear();
        current.toIds.add(h);
      } else if (t == current.to) {
        current.toIds.add(h);
      }
    }
    for (Iterator<Span> it = spans.iterator(); it.hasNext(); ) {
      Span s = it.next();
      if (current.overlaps(s)) {
        current.absorb(s);
        it.remove();
      }
    }
  }

  /** Keeps the exact id of a message received in the window, and moves the window up to its newest message. */
  private void remember(long t, String h) {
    if (t > horizon && recent.computeIfAbsent(t, k -> new TreeSet<>()).add(h)) {
      recentCount++;
    }
    long floor = t - GRACE;
    while (!recent.isEmpty() && (recent.firstKey() <= floor || recentCount > MAX_RECENT)) {
      Map.Entry<Long, Set<String>> oldest = recent.pollFirstEntry();
      recentCount -= oldest.getValue().size();
      horizon = Math.max(horizon, oldest.getKey());
    }
    horizon = Math.max(horizon, floor);
  }

  /** The round reached its delta link: every message has been visited, everything up to the newest is seen. */
  void completeRound(String deltaLink) {
    link = deltaLink;
    midRound = false;
    if (current != null) {
      spans.add(current);
      current = null;
    }
    if (spans.isEmpty()) {
      return;
    }
    long top = Long.MIN_VALUE;
    for (Span s : spans) {
      top = Math.max(top, s.to);
    }
    Span all = new Span(null, top);
    for (Span s : spans) {
      if (s.to == top) {
        all.toIds.addAll(s.toIds);
      }
    }
    spans.clear();
    spans.add(all);
  }

  /** The round was cut before its end; {@code nextLink} continues it. */
  void cut(String nextLink) {
    link = nextLink;
    midRound = true;
  }

  /** The service forgot the sync state: start a new round, keeping what was seen. */
  void restart() {
    link = null;
    midRound = false;
    if (current != null) {
      spans.add(current);
      current = null;
    }
  }

  String encode() {
    StringBuilder b = new StringBuilder(VERSION).append('\n');
    b.append(midRound ? 'R' : 'D').append(' ').append(link == null ? "-" : link).append('\n');
    b.append("H ").append(horizon == Long.MIN_VALUE ? "-" : Long.toString(horizon)).append('\n');
    for (Map.Entry<Long, Set<String>> e : recent.entrySet()) {
      b.append("N ").append(e.getKey()).append(' ').append(String.join(",", e.getValue())).append('\n');
    }
    for (Span s : spans) {
      append(b, 'S', s);
    }
    if (current != null) {
      append(b, 'C', current);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b.toString().getBytes(StandardCharsets.UTF_8));
  }

  private static void append(StringBuilder b, char kind, Span s) {
    b.append(kind).append(' ').append(s.from == null ? "-" : Long.toString(s.from)).append(' ')
        .append(s.fromIds.isEmpty() ? "." : String.join(",", s.fromIds)).append(' ').append(s.to).append(' ')
        .append(s.toIds.isEmpty() ? "." : String.join(",", s.toIds)).append('\n');
  }

  static SyncCursor decode(String value) {
    String text;
    try {
      text = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a sync state of the Graph connector", e);
    }
    String[] lines = text.split("\n");
    boolean first = lines.length >= 2 && lines[0].equals(VERSION_1);
    if (lines.length < 2 || !first && !lines[0].equals(VERSION)) {
      throw new IllegalArgumentException("not a sync state of the Graph connector");
    }
    SyncCursor c = new SyncCursor();
    String[] head = lines[1].split(" ", 2);
    c.midRound = head[0].equals("R");
    c.link = head.length < 2 || head[1].equals("-") ? null : head[1];
    for (int i = 2; i < lines.length; i++) {
      if (lines[i].startsWith("H ")) {
        String h = lines[i].substring(2);
        c.horizon = h.equals("-") ? Long.MIN_VALUE : Long.parseLong(h);
        continue;
      }
      if (lines[i].startsWith("N ")) {
        String[] n = lines[i].split(" ");
        if (n.length != 3) {
          throw new IllegalArgumentException("not a sync state of the Graph connector");
        }
        Set<String> ids = new TreeSet<>(List.of(n[2].split(",")));
        c.recent.put(Long.parseLong(n[1]), ids);
        c.recentCount += ids.size();
        continue;
      }
      String[] f = lines[i].split(" ");
      if (f.length != 5) {
        throw new IllegalArgumentException("not a sync state of the Graph connector");
      }
      Span s = new Span(f[1].equals("-") ? null : Long.parseLong(f[1]), Long.parseLong(f[3]));
      if (!f[2].equals(".")) {
        s.fromIds.addAll(List.of(f[2].split(",")));
      }
      if (!f[4].equals(".")) {
        s.toIds.addAll(List.of(f[4].split(",")));
      }
      if (f[0].equals("C")) {
        c.current = s;
      } else {
        c.spans.add(s);
      }
    }
    if (first) {
      // a state written before exact ids were kept: everything it has seen is judged by its spans
      for (Span s : c.spans) {
        c.horizon = Math.max(c.horizon, s.to);
      }
      if (c.current != null) {
        c.horizon = Math.max(c.horizon, c.current.to);
      }
    }
    return c;
  }
}
