package org.o365mail.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonTest {
  private static String roundTrip(String s) {
    String text = new Json.Writer().startObject().field("v", s).endObject().text();
    return (String) Json.parseObject(text).get("v");
  }

  @Test
  void everyCharacter_andUnpairedSurrogates_readBackExactly() {
    StringBuilder all = new StringBuilder();
    for (char c = 0; c < Character.MAX_VALUE; c++) {
      all.append(c);
    }
    all.append(Character.MAX_VALUE);
    String s = all.toString();
    assertThat(roundTrip(s)).isEqualTo(s);
    // a lone high, a lone low, a reversed pair and a real pair
    String surrogates = "a\uD83D b\uDE00 c\uDE00\uD83D d\uD83D\uDE00";
    assertThat(roundTrip(surrogates)).isEqualTo(surrogates);
    Random random = new Random(17);
    for (int i = 0; i < 200; i++) {
      char[] chars = new char[random.nextInt(40)];
      for (int j = 0; j < chars.length; j++) {
        chars[j] = (char) random.nextInt(Character.MAX_VALUE + 1);
      }
      String r = new String(chars);
      assertThat(roundTrip(r)).isEqualTo(r);
    }
  }

  @Test
  void escapes_areTheShortFormsControlsAsUpperCaseHexAndSurrogatesEscaped_otherTextRaw() {
    String text = new Json.Writer().value("q\" b\\ s/ \b\t\n\f\r \u0001\u001f \u007f \u00e9 \u2028 \uD83D\uDE00").text();
    assertThat(text).isEqualTo("\"q\\\" b\\\\ s/ \\b\\t\\n\\f\\r \\u0001\\u001F \u007f \u00e9 \u2028 \\uD83D\\uDE00\"");
  }

  @Test
  void parses_allValueKinds_withMembersInDocumentOrder_integersAsLong() {
    Map<String, Object> m = Json.parseObject(" {\"z\" : 1, \"a\":[true,false,null,\"x\\u0041\\/\"], \"n\":-9223372036854775808,"
        + "\"max\":9223372036854775807,\"f\":1.5e2,\"o\":{}} ");
    assertThat(m.keySet()).containsExactly("z", "a", "n", "max", "f", "o");
    assertThat(m.get("z")).isEqualTo(1L);
    assertThat(m.get("a")).isEqualTo(java.util.Arrays.asList(true, false, null, "xA/"));
    assertThat(m.get("n")).isEqualTo(Long.MIN_VALUE);
    assertThat(m.get("max")).isEqualTo(Long.MAX_VALUE);
    assertThat(m.get("f")).isEqualTo(150.0);
    assertThat(m.get("o")).isEqualTo(Map.of());
  }

  @Test
  void writer_putsCommasAndNamesWhereTheyBelong() {
    String text = new Json.Writer().startObject().field("a", 1).field("b", List.of("x", "y")).name("c").startArray()
        .startObject().field("d", true).endObject().startObject().endObject().endArray().field("e", (String) null)
        .name("f").untyped(Long.valueOf(-3)).endObject().text();
    assertThat(text).isEqualTo("{\"a\":1,\"b\":[\"x\",\"y\"],\"c\":[{\"d\":true},{}],\"e\":null,\"f\":-3}");
    assertThat(Json.parse(text)).isInstanceOf(Map.class);
  }

  @Test
  void nestingDeeperThanTheBound_isRefused_atTheBoundItIsRead() {
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    assertThat(Json.parse(ok)).isInstanceOf(List.class);
    String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
    assertThatThrownBy(() -> Json.parse(deep)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("nested deeper than " + Json.MAX_DEPTH);
    String deepObjects = "{\"a\":".repeat(Json.MAX_DEPTH + 1) + "1" + "}".repeat(Json.MAX_DEPTH + 1);
    assertThatThrownBy(() -> Json.parse(deepObjects)).hasMessageContaining("nested deeper");
  }

  @Test
  void moreMembersThanTheBound_areRefused() {
    String many = "[" + "0,".repeat(Json.MAX_MEMBERS) + "0]";
    assertThatThrownBy(() -> Json.parse(many)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than " + Json.MAX_MEMBERS);
  }

  @Test
  void malformedText_isRefused_namingTheOffset() {
    for (String bad : List.of("", "{", "{\"a\"}", "{\"a\":1,}", "[1 2]", "\"abc", "\"a\u0001\"", "\"\\x\"",
        "\"\\u12\"", "tru", "01x", "-", "1.", "{} {}", "{'a':1}")) {
      assertThatThrownBy(() -> Json.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("offset");
    }
    assertThatThrownBy(() -> Json.parseObject("[1]")).hasMessageContaining("not a JSON object");
  }
}
