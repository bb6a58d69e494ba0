package org.o365mail.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The SDK's own JSON, so that its file formats (checkpoints, reports) depend on no library. {@link #parse} reads
 * objects, arrays, strings, booleans, null and numbers (integers as {@link Long}, anything else as {@link
 * Double}), with bounded nesting depth, input length and member counts. {@link Writer} writes compact JSON and
 * escapes as the files written so far do: {@code "} and {@code \}, control characters (short forms for {@code \b
 * \t \n \f \r}, else {@code \}{@code u00XX}) and every surrogate as {@code \}{@code uXXXX}, upper-case hex, so any
 * Java string, unpaired surrogates included, reads back exactly. Stateless and thread-safe; a {@link Writer} is
 * not thread-safe.
 */
public final class Json {
  /** Deepest nesting of objects and arrays read. */
  public static final int MAX_DEPTH = 64;
  /** Longest text read, in chars. */
  public static final int MAX_LENGTH = 64 * 1024 * 1024;
  /** Most members of one object or elements of one array read. */
  public static final int MAX_MEMBERS = 1_000_000;

  private Json() {}

  /**
   * Parses {@code text} (one JSON value, surrounded by whitespace at most).
   *
   * @return a {@code Map<String, Object>} (members in document order), {@code List<Object>}, {@code String},
   *     {@code Long}, {@code Double}, {@code Boolean}, or null for JSON null
   * @throws IllegalArgumentException for malformed input or input beyond the bounds, naming the offset
   */
  public static Object parse(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("JSON text of " + text.length() + " chars is longer than " + MAX_LENGTH);
    }
    Parser p = new Parser(text);
    p.skipWhitespace();
    Object value = p.value(0);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw p.error("unexpected text after the JSON value");
    }
    return value;
  }

  /** Parses a JSON object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parseObject(String text) {
    Object value = parse(text);
    if (!(value instanceof Map)) {
      throw new IllegalArgumentException("not a JSON object");
    }
    return (Map<String, Object>) value;
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("malformed JSON at offset " + pos + ": " + what);
    }

    void skipWhitespace() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        pos++;
      }
    }

    char peek() {
      if (pos >= s.length()) {
        throw error("unexpected end");
      }
      return s.charAt(pos);
    }

    void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    Object value(int depth) {
      char c = peek();
      switch (c) {
        case '{':
          return object(depth + 1);
        case '[':
          return array(depth + 1);
        case '"':
          return string();
        case 't':
          literal("true");
          return Boolean.TRUE;
        case 'f':
          literal("false");
          return Boolean.FALSE;
        case 'n':
          literal("null");
          return null;
        default:
          if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
          }
          throw error("unexpected character");
      }
    }

    void literal(String word) {
      if (!s.startsWith(word, pos)) {
        throw error("expected " + word);
      }
      pos += word.length();
    }

    Map<String, Object> object(int depth) {
      if (depth > MAX_DEPTH) {
        throw error("nested deeper than " + MAX_DEPTH);
      }
      expect('{');
      Map<String, Object> map = new LinkedHashMap<>();
      skipWhitespace();
      if (peek() == '}') {
        pos++;
        return map;
      }
      while (true) {
        skipWhitespace();
        if (peek() != '"') {
          throw error("expected a member name");
        }
        String name = string();
        skipWhitespace();
        expect(':');
        skipWhitespace();
        map.put(name, value(depth));
        if (map.size() > MAX_MEMBERS) {
          throw error("more than " + MAX_MEMBERS + " members");
        }
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == '}') {
          return map;
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or '}'");
        }
      }
    }

    List<Object> array(int depth) {
      if (depth > MAX_DEPTH) {
        throw error("nested deeper than " + MAX_DEPTH);
      }
      expect('[');
      List<Object> list = new ArrayList<>();
      skipWhitespace();
      if (peek() == ']') {
        pos++;
        return list;
      }
      while (true) {
        skipWhitespace();
        list.add(value(depth));
        if (list.size() > MAX_MEMBERS) {
          throw error("more than " + MAX_MEMBERS + " elements");
        }
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == ']') {
          return list;
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or ']'");
        }
      }
    }

    String string() {
      expect('"');
      StringBuilder sb = null;
      int start = pos;
      while (true) {
        if (pos >= s.length()) {
          throw error("unterminated string");
        }
        char c = s.charAt(pos);
        if (c == '"') {
          String tail = s.substring(start, pos);
          pos++;
          return sb == null ? tail : sb.append(tail).toString();
        }
        if (c < 0x20) {
          throw error("unescaped control character in a string");
        }
        if (c != '\\') {
          pos++;
          continue;
        }
        if (sb == null) {
          sb = new StringBuilder();
        }
        sb.append(s, start, pos);
        pos++;
        char e = peek();
        pos++;
        switch (e) {
          case '"', '\\', '/' -> sb.append(e);
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            if (pos + 4 > s.length()) {
              throw error("short \\u escape");
            }
            int code = 0;
            for (int i = 0; i < 4; i++) {
              int d = Character.digit(s.charAt(pos + i), 16);
              if (d < 0) {
                throw error("bad \\u escape");
              }
              code = code * 16 + d;
            }
            pos += 4;
            sb.append((char) code);
          }
          default -> {
            pos--;
            throw error("bad escape");
          }
        }
        start = pos;
      }
    }

    Object number() {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      boolean integral = true;
      digits();
      if (pos < s.length() && s.charAt(pos) == '.') {
        integral = false;
        pos++;
        digits();
      }
      if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
        integral = false;
        pos++;
        if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
          pos++;
        }
        digits();
      }
      String text = s.substring(start, pos);
      if (integral) {
        try {
          return Long.parseLong(text);
        } catch (NumberFormatException tooLarge) {
          return Double.parseDouble(text);
        }
      }
      return Double.parseDouble(text);
    }

    private void digits() {
      int start = pos;
      while (pos < s.length() && s.charAt(pos) >= '0' && s.charAt(pos) <= '9') {
        pos++;
      }
      if (pos == start) {
        throw error("expected a digit");
      }
    }
  }

  /** Writes compact JSON into a string. Not thread-safe. */
  public static final class Writer {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private final StringBuilder out = new StringBuilder();
    /** Per open container: whether it has a member yet. */
    private final Deque<boolean[]> open = new ArrayDeque<>();
    private boolean afterName;

    public Writer startObject() {
      beforeValue();
      out.append('{');
      open.push(new boolean[1]);
      return this;
    }

    public Writer endObject() {
      open.pop();
      out.append('}');
      return this;
    }

    public Writer startArray() {
      beforeValue();
      out.append('[');
      open.push(new boolean[1]);
      return this;
    }

    public Writer endArray() {
      open.pop();
      out.append(']');
      return this;
    }

    /** The next member's name. */
    public Writer name(String name) {
      beforeValue();
      quote(name);
      out.append(':');
      afterName = true;
      return this;
    }

    /** A string, or null. */
    public Writer value(String value) {
      beforeValue();
      if (value == null) {
        out.append("null");
      } else {
        quote(value);
      }
      return this;
    }

    public Writer value(long value) {
      beforeValue();
      out.append(value);
      return this;
    }

    public Writer value(boolean value) {
      beforeValue();
      out.append(value);
      return this;
    }

    /** A string, number, boolean or null (other objects as their {@code toString()}). */
    public Writer untyped(Object value) {
      if (value == null || value instanceof String) {
        return value((String) value);
      }
      if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
        return value(((Number) value).longValue());
      }
      if (value instanceof Boolean b) {
        return value(b.booleanValue());
      }
      if (value instanceof Number n) {
        beforeValue();
        out.append(n);
        return this;
      }
      return value(value.toString());
    }

    public Writer field(String name, String value) {
      return name(name).value(value);
    }

    public Writer field(String name, long value) {
      return name(name).value(value);
    }

    public Writer field(String name, boolean value) {
      return name(name).value(value);
    }

    /** An array of strings. */
    public Writer field(String name, Iterable<String> values) {
      name(name).startArray();
      for (String v : values) {
        value(v);
      }
      return endArray();
    }

    private void beforeValue() {
      if (afterName) {
        afterName = false;
        return;
      }
      boolean[] container = open.peek();
      if (container != null) {
        if (container[0]) {
          out.append(',');
        }
        container[0] = true;
      }
    }

    private void quote(String s) {
      out.append('"');
      int start = 0;
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        String shortForm = switch (c) {
          case '"' -> "\\\"";
          case '\\' -> "\\\\";
          case '\b' -> "\\b";
          case '\t' -> "\\t";
          case '\n' -> "\\n";
          case '\f' -> "\\f";
          case '\r' -> "\\r";
          default -> null;
        };
        if (shortForm == null && c >= 0x20 && !Character.isSurrogate(c)) {
          continue;
        }
        out.append(s, start, i);
        if (shortForm != null) {
          out.append(shortForm);
        } else {
          out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF]).append(HEX[c >> 4 & 0xF])
              .append(HEX[c & 0xF]);
        }
        start = i + 1;
      }
      out.append(s, start, s.length()).append('"');
    }

    /** The text written so far. */
    public String text() {
      return out.toString();
    }
  }
}
