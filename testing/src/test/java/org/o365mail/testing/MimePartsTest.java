package org.o365mail.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How the in-memory connector finds attachments in MIME: by IMAP section, decoded, as the IMAP connector lists them. */
class MimePartsTest {

  @Test
  void nestedParts_areNumberedByImapSection_andDecoded() {
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 0, 1, 2, (byte) 0xff};
    String mime = "Subject: nested\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n"
        + "preamble\r\n"
        + "--outer\r\nContent-Type: multipart/related; boundary=\"inner\"\r\n\r\n"
        + "--inner\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<img src=\"cid:logo\">\r\n"
        + "--inner\r\nContent-Type: image/png\r\nContent-Disposition: inline; filename=logo.png\r\n"
        + "Content-Transfer-Encoding: base64\r\n\r\n" + Base64.getEncoder().encodeToString(png) + "\r\n"
        + "--inner--\r\n"
        + "--outer\r\nContent-Type: text/csv; name=\"report.csv\"\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        + "\r\na,b=3Dc\r\n1,=\r\n2\r\n"
        + "--outer--\r\nepilogue\r\n";

    List<MimeParts.Attachment> found = MimeParts.attachments(mime.getBytes(StandardCharsets.ISO_8859_1));

    assertThat(found).extracting(a -> a.info().id()).containsExactly("1.2", "2");
    MimeParts.Attachment logo = found.get(0);
    assertThat(logo.info().name()).isEqualTo("logo.png");
    assertThat(logo.info().inline()).isTrue();
    assertThat(logo.content()).isEqualTo(png);
    assertThat(logo.info().size()).isEqualTo(png.length);
    MimeParts.Attachment csv = found.get(1);
    assertThat(csv.info().name()).isEqualTo("report.csv");
    assertThat(csv.info().contentType()).isEqualTo("text/csv");
    assertThat(csv.info().inline()).isFalse();
    assertThat(new String(csv.content(), StandardCharsets.UTF_8)).isEqualTo("a,b=c\r\n1,2");
  }

  @Test
  void aPlainTextMessage_hasNoAttachments() {
    byte[] mime = "Subject: plain\r\nContent-Type: text/plain\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
    assertThat(MimeParts.attachments(mime)).isEmpty();
    assertThat(MimeParts.attachment(mime, "1")).isEmpty();
  }
}
