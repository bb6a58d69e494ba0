package org.o365mail.graph.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.o365mail.EmailAddress;
import org.o365mail.MessageSummary;

/** Listing and delta pages read into summaries as Graph writes them, including what a summary leaves out. */
class SummaryPagesTest {
  private static SummaryPages.Page read(String json) throws IOException {
    return SummaryPages.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "Inbox/Invoices");
  }

  @Test
  void aListingPage_becomesSummaries_andItsNextLink() throws IOException {
    SummaryPages.Page page = read("""
        {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users('a')/messages",
         "value": [
          {"@odata.etag": "W/\\"CQAAAB\\"", "id": "AAMkA1", "internetMessageId": "<1@fabrikam.com>",
           "subject": "Invoice 1 \\u00e9", "receivedDateTime": "2026-11-20T08:15:00Z", "hasAttachments": true,
           "isRead": false, "parentFolderId": "AAMkF",
           "from": {"emailAddress": {"name": "Billing", "address": "billing@fabrikam.com"}},
           "toRecipients": [{"emailAddress": {"name": "AP", "address": "ap@contoso.com"}},
                            {"emailAddress": {"name": "no address"}},
                            {"emailAddress": {"address": "not an address"}}],
           "singleValueExtendedProperties": [{"id": "Integer 0xe08", "value": "20480"}],
           "flag": {"flagStatus": "notFlagged", "nested": [1, [2, {"x": null}]]}},
          {"id": "AAMkA2", "subject": null, "from": null, "toRecipients": [], "isRead": true}
         ],
         "@odata.nextLink": "https://graph.microsoft.com/v1.0/users/a/messages?$skiptoken=X%3d"}
        """);
    assertThat(page.nextLink()).isEqualTo("https://graph.microsoft.com/v1.0/users/a/messages?$skiptoken=X%3d");
    assertThat(page.deltaLink()).isNull();
    assertThat(page.summaries()).hasSize(2);
    MessageSummary first = page.summaries().get(0);
    assertThat(first.id().value()).isEqualTo("AAMkA1");
    assertThat(first.folder()).isEqualTo("Inbox/Invoices");
    assertThat(first.internetMessageId()).contains("<1@fabrikam.com>");
    assertThat(first.subject()).isEqualTo("Invoice 1 é");
    assertThat(first.receivedAt()).isEqualTo(Instant.parse("2026-11-20T08:15:00Z"));
    assertThat(first.from()).contains(EmailAddress.of("billing@fabrikam.com", "Billing"));
    assertThat(first.to()).containsExactly(EmailAddress.of("ap@contoso.com", "AP"));
    assertThat(first.size()).hasValue(20480);
    assertThat(first.hasAttachments()).isTrue();
    assertThat(first.read()).isFalse();
    MessageSummary second = page.summaries().get(1);
    assertThat(second.subject()).isEmpty();
    assertThat(second.from()).isEmpty();
    assertThat(second.size()).as("no size property sent").isEmpty();
    assertThat(second.receivedAt()).as("no received time sent").isEqualTo(Instant.EPOCH);
    assertThat(second.read()).isTrue();
  }

  @Test
  void aDeltaPage_marksRemovedMessages_andThoseWithoutATime() throws IOException {
    SummaryPages.Page page = read("""
        {"value": [
          {"id": "AAMkA1", "receivedDateTime": "2026-11-20T08:15:00Z",
           "singleValueExtendedProperties": [{"value": "12", "id": "Integer 0x0E08"}]},
          {"id": "AAMkA2", "@removed": {"reason": "deleted"}},
          {"id": "AAMkA3"},
          {"subject": "no id: not a message"}
         ],
         "@odata.deltaLink": "https://graph.microsoft.com/v1.0/users/a/mailFolders/b/messages/delta?$deltatoken=Y"}
        """);
    assertThat(page.deltaLink()).endsWith("$deltatoken=Y");
    assertThat(page.entries()).extracting(SummaryPages.Entry::id).containsExactly("AAMkA1", "AAMkA2", "AAMkA3");
    assertThat(page.entries().get(0).summary().size()).hasValue(12);
    assertThat(page.entries().get(1).removed()).isTrue();
    assertThat(page.entries().get(1).summary()).isNull();
    assertThat(page.entries().get(2).received()).isNull();
    assertThat(page.summaries()).extracting(s -> s.id().value()).containsExactly("AAMkA1", "AAMkA3");
  }

  @Test
  void somethingOtherThanAnObject_isAnError() {
    assertThatThrownBy(() -> read("[1, 2]")).isInstanceOf(IOException.class).hasMessageContaining("Inbox/Invoices");
  }

  @Test
  void aPageOfGraphsLargestSize_isRead_oneMoreMessageIsRefused() throws IOException {
    StringBuilder json = new StringBuilder("{\"value\":[");
    for (int i = 0; i < SummaryPages.MAX_ENTRIES; i++) {
      json.append(i == 0 ? "" : ",").append("{\"id\":\"m").append(i).append("\"}");
    }
    assertThat(read(json + "]}").entries()).hasSize(1000);
    assertThatThrownBy(() -> read(json + ",{\"id\":\"one more\"}]}"))
        .isInstanceOf(org.o365mail.MailboxException.class)
        .hasMessageContaining("more than 1000 messages in one page");
  }
}
