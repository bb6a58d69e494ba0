package org.o365mail.internal;

import java.util.List;
import java.util.Map;

/** Reading JSON objects with {@link Json}: untyped maps in, typed fields out. Stateless and thread-safe. */
public final class JsonSupport {
  private JsonSupport() {}

  /** Parses a JSON object into maps, lists, strings, numbers and booleans. */
  public static Map<String, Object> parseObject(String json) {
    try {
      return Json.parseObject(json);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed JSON: " + e.getClass().getSimpleName(), e);
    }
  }

  public static String string(Map<String, Object> map, String key) {
    Object v = map.get(key);
    return v == null ? null : String.valueOf(v);
  }

  public static long number(Map<String, Object> map, String key, long fallback) {
    Object v = map.get(key);
    if (v instanceof Number n) {
      return n.longValue();
    }
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        return fallback;
      }
    }
    return fallback;
  }

  public static List<String> strings(Map<String, Object> map, String key) {
    Object v = map.get(key);
    if (v instanceof List<?> l) {
      return l.stream().map(String::valueOf).toList();
    }
    return List.of();
  }
}
