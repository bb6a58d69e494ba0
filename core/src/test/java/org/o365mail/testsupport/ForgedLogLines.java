package org.o365mail.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/**
 * A subject crafted to forge log lines (an encoded CR LF, then ANSI and OSC escape sequences), and the check that
 * a parked message with it left exactly one log line with the escapes visible. One check for every connector.
 */
public final class ForgedLogLines {
  /** The RFC 2047 encoded subject as it stands in the header. */
  public static final String ENCODED_SUBJECT = "=?utf-8?q?a=0D=0AWARN_forged=1B=5B31m_=1B=5D0=3Btitle=07end?=";
  /** What it decodes to, as the handler sees it. */
  public static final String DECODED_SUBJECT = "a\r\nWARN forged\u001b[31m \u001b]0;title\u0007end";

  private ForgedLogLines() {}

  /** The handler saw the exact subject; the log has one "Parked message" line, escaped, and no forged line. */
  public static void assertParkedOnOneLine(List<String> subjectsSeenByHandler) {
    assertThat(subjectsSeenByHandler).containsExactly(DECODED_SUBJECT);
    List<String> parked = CapturingLoggerProvider.lines().stream().filter(l -> l.contains("Parked message")).toList();
    assertThat(parked).singleElement().satisfies(line -> {
      assertThat(line).startsWith("WARN ").contains("(a\\r\\nWARN forged\\u001b[31m \\u001b]0;title\\u0007end)");
      assertThat(line.chars().filter(ch -> Character.isISOControl(ch) || ch == 0x2028 || ch == 0x2029)).isEmpty();
    });
    assertThat(CapturingLoggerProvider.lines()).noneMatch(l -> l.startsWith("WARN forged"));
  }
}
