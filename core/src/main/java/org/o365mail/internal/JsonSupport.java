package org.o365mail.internal;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonToken;
import com.azure.json.JsonWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** JSON through azure-json (already on the path with MSAL): untyped maps in, flat maps out. */
public final class JsonSupport {
  private JsonSupport() {}

  /** Parses a JSON object into maps, lists, strings, numbers and booleans. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String json) {
    try (JsonReader reader = JsonProviders.createReader(json)) {
      if (reader.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      Object value = reader.readUntyped();
      return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Collections.emptyMap();
    } catch (IOException | RuntimeException e) {
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

  /** Writes a flat map of strings, numbers and booleans as a JSON object. */
  public static String write(Map<String, ?> map) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonWriter w = JsonProviders.createWriter(out)) {
      w.writeStartObject();
      for (Map.Entry<String, ?> e : map.entrySet()) {
        w.writeUntypedField(e.getKey(), e.getValue());
      }
      w.writeEndObject();
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
