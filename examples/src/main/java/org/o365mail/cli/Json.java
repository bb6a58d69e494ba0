package org.o365mail.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** A small JSON builder for the tool's --json output. */
final class Json {
  private Json() {}

  static Obj object() {
    return new Obj();
  }

  static Array array() {
    return new Array();
  }

  /** A JSON object keeping insertion order. */
  static final class Obj {
    private final Map<String, Object> fields = new LinkedHashMap<>();

    Obj put(String name, Object value) {
      fields.put(name, value);
      return this;
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("{");
      boolean first = true;
      for (Map.Entry<String, Object> e : fields.entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        sb.append(str(e.getKey())).append(':').append(value(e.getValue()));
      }
      return sb.append('}').toString();
    }
  }

  /** A JSON array. */
  static final class Array {
    private final List<Object> items = new ArrayList<>();

    Array add(Object value) {
      items.add(value);
      return this;
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < items.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        sb.append(value(items.get(i)));
      }
      return sb.append(']').toString();
    }
  }

  static String value(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof Number || v instanceof Boolean || v instanceof Obj || v instanceof Array) {
      return v.toString();
    }
    return str(v.toString());
  }

  static String str(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
