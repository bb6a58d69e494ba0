package org.o365mail.graph.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A {@code $batch} item's body read by its {@code Content-Type} (OData JSON Format 4.01, batch responses): JSON as
 * JSON, {@code text/*} as the text, anything else base64 of either alphabet; never decoded leniently.
 */
class BatcherAnswersTest {
  static final String MIME = "From: a@example.org\r\nSubject: caf\u00e9 \"q\" back\\slash\r\n\r\nGr\u00fc\u00dfe\r\n\tend\r\n";
  static final byte[] BYTES = MIME.getBytes(StandardCharsets.UTF_8);

  private static Map<String, Batcher.Result> read(String json) throws IOException {
    return Batcher.answers(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
  }

  private static String item(String id, String contentType, String body, boolean bodyFirst) {
    String headers = "\"headers\":{\"Content-Type\":\"" + contentType + "\"}";
    String b = "\"body\":" + body;
    return "{\"id\":\"" + id + "\",\"status\":200," + (bodyFirst ? b + "," + headers : headers + "," + b) + "}";
  }

  @Test
  void textBody_isTheText_whereverTheHeadersAre() throws IOException {
    Map<String, Batcher.Result> r = read("{\"responses\":["
        + item("1", "text/plain", Batcher.quote(MIME), true) + ","
        + item("2", "text/plain; charset=utf-8", Batcher.quote(MIME), false) + "]}");
    assertThat(r.get("1").content()).isEqualTo(BYTES);
    assertThat(r.get("1").mime()).isEqualTo(BYTES);
    assertThat(r.get("2").content()).isEqualTo(BYTES);
  }

  @Test
  void base64Body_ofEitherAlphabet_isDecoded_forTextAndOtherTypes() throws IOException {
    byte[] binary = new byte[300];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) (i * 7);
    }
    String std = Base64.getEncoder().encodeToString(BYTES);
    String url = Base64.getUrlEncoder().withoutPadding().encodeToString(binary);
    Map<String, Batcher.Result> r = read("{\"responses\":["
        + item("1", "text/plain", "\"" + std + "\"", true) + ","
        + item("2", "application/octet-stream", "\"" + url + "\"", false) + ","
        + item("3", "application/octet-stream", "\"" + Base64.getEncoder().encodeToString(binary) + "\"", true) + "]}");
    assertThat(r.get("1").content()).isEqualTo(BYTES);
    assertThat(r.get("2").content()).isEqualTo(binary);
    assertThat(r.get("3").content()).isEqualTo(binary);
    assertThat(r.get("2").mime()).as("binary is no message").isNull();
  }

  @Test
  void aBodyThatIsNotExactlyBase64_isNotGuessedAt() throws IOException {
    // folded, or with stray characters: a lenient decoder would skip what it does not know and hand out other bytes
    String folded = Base64.getMimeEncoder().encodeToString(new byte[200]);
    Map<String, Batcher.Result> r = read("{\"responses\":["
        + item("1", "application/octet-stream", Batcher.quote(folded), false) + ","
        + item("2", "application/octet-stream", "\"QUJD*RA==\"", false) + ","
        + item("3", "message/rfc822", Batcher.quote(MIME), false) + "]}");
    assertThat(r.get("1").content()).isNull();
    assertThat(r.get("2").content()).isNull();
    assertThat(r.get("3").content()).as("not text, not base64").isNull();
    assertThat(r.get("3").ok()).isTrue();
  }

  @Test
  void textWithAReplacementCharacter_isLeftToBeReadOnItsOwn() throws IOException {
    Map<String, Batcher.Result> r = read("{\"responses\":["
        + item("1", "text/plain", Batcher.quote("From: a@example.org\r\n\r\ncaf\uFFFD\r\n"), true) + "]}");
    assertThat(r.get("1").content()).isNull();
  }

  @Test
  void jsonBodies_stayJson() throws IOException {
    Map<String, Batcher.Result> r = read("{\"responses\":[{\"id\":\"1\",\"status\":200,\"body\":{\"id\":\"x\"},"
        + "\"headers\":{\"Content-Type\":\"application/json;odata.metadata=minimal\"}}]}");
    assertThat(new String(r.get("1").json(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"x\"}");
    assertThat(r.get("1").content()).isNull();
  }

  @Test
  void onlyBytesStartingWithAHeaderField_passForAMessage() {
    assertThat(Batcher.looksLikeMessage(BYTES)).isTrue();
    assertThat(Batcher.looksLikeMessage("\r\nno header block".getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(Batcher.looksLikeMessage("Just some text: here".getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(Batcher.looksLikeMessage(": empty name".getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(Batcher.looksLikeMessage(new byte[0])).isFalse();
  }
}
