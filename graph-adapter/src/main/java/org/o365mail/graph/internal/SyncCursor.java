package org.o365mail.graph.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
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
 * messages a cut round had not reached yet. Not thread-safe; one per sync call.
 */
final class SyncCursor {
  private static final String VERSION = "g1";

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
    if (lines.length < 2 || !lines[0].equals(VERSION)) {
      throw new IllegalArgumentException("not a sync state of the Graph connector");
    }
    SyncCursor c = new SyncCursor();
    String[] head = lines[1].split(" ", 2);
    c.midRound = head[0].equals("R");
    c.link = head.length < 2 || head[1].equals("-") ? null : head[1];
    for (int i = 2; i < lines.length; i++) {
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
    return c;
  }
}
