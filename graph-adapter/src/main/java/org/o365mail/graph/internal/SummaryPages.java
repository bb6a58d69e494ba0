package org.o365mail.graph.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.kiota.RequestInformation;
import com.microsoft.kiota.serialization.Parsable;
import com.microsoft.kiota.serialization.ParsableFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.o365mail.EmailAddress;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageSummary;

/**
 * Pages of messages ({@code messages} and {@code messages/delta} answers) read straight into summaries: the
 * request is built and sent by the Graph SDK, its answer streamed through a JSON parser, without the SDK's
 * {@code Message} objects and their backing stores, which took most of a listing's time on the client. Reads
 * only what {@link Summaries#SELECT} and the size property ask for; other properties are skipped. Stateless.
 */
public final class SummaryPages {
  private static final JsonFactory JSON = new JsonFactory();
  /**
   * The most entries one page may hold: Graph's largest page, {@code $top=1000} (microsoft-graph-docs-contrib {@code
   * api-reference/v1.0/api/user-list-messages.md}); the adapter asks for at most 200. With {@link
   * BoundedAnswers#MAX_ANSWER_BYTES} it bounds what a page holds in memory.
   */
  static final int MAX_ENTRIES = 1000;

  private SummaryPages() {}

  /**
   * One message of a page.
   *
   * @param id its id (never null)
   * @param removed whether delta reported it removed ({@code @removed})
   * @param received its {@code receivedDateTime}, or null when Graph sent none
   * @param summary its summary (received at the epoch when Graph sent no time), or null when removed
   */
  public record Entry(String id, boolean removed, Instant received, MessageSummary summary) {}

  /**
   * A page: its messages in the order Graph sent them, and the links that follow it.
   *
   * @param nextLink {@code @odata.nextLink}, or null
   * @param deltaLink {@code @odata.deltaLink}, or null
   */
  public record Page(List<Entry> entries, String nextLink, String deltaLink) {
    /** The summaries of the page, in order. */
    public List<MessageSummary> summaries() {
      List<MessageSummary> out = new ArrayList<>(entries.size());
      for (Entry e : entries) {
        if (e.summary() != null) {
          out.add(e.summary());
        }
      }
      return out;
    }
  }

  /** The same summaries in folder {@code path} (for a page read before its folder's path was known). */
  public static List<MessageSummary> inFolder(List<MessageSummary> summaries, String path) {
    List<MessageSummary> out = new ArrayList<>(summaries.size());
    for (MessageSummary s : summaries) {
      out.add(new MessageSummary(s.id(), path, s.internetMessageId(), s.from(), s.to(), s.subject(), s.receivedAt(),
          s.size(), s.hasAttachments(), s.read()));
    }
    return out;
  }

  /** Sends a request built by the Graph SDK and reads its answer as a page; Graph errors come as ODataError. */
  public static Page fetch(GraphTransport transport, RequestInformation request, String folderPath) {
    HashMap<String, ParsableFactory<? extends Parsable>> errors = new HashMap<>();
    errors.put("XXX", ODataError::createFromDiscriminatorValue);
    try (InputStream in = transport.adapter().sendPrimitive(request, errors, InputStream.class)) {
      if (in == null) {
        throw new MailboxException("Graph answered a listing of " + folderPath + " without a body");
      }
      Page page = read(in, folderPath);
      if (page.nextLink() != null && !isOwnLink(transport.baseUrl(), page.nextLink())) {
        throw foreignLink(transport.baseUrl(), page.nextLink(), "@odata.nextLink", folderPath);
      }
      if (page.deltaLink() != null && !isOwnLink(transport.baseUrl(), page.deltaLink())) {
        throw foreignLink(transport.baseUrl(), page.deltaLink(), "@odata.deltaLink", folderPath);
      }
      return page;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether {@code link} (a next or delta link) is on the configured Graph base URL: the same origin (scheme, host
   * and port) and a path under the base path. Links are followed with the token and stored in sync states, so one
   * that points anywhere else is refused rather than followed or kept.
   */
  public static boolean isOwnLink(java.net.URI base, String link) {
    java.net.URI u;
    try {
      u = new java.net.URI(link);
    } catch (java.net.URISyntaxException e) {
      return false;
    }
    String origin = GraphAuthentication.origin(u);
    if (origin == null || !origin.equals(GraphAuthentication.origin(base)) || u.getRawUserInfo() != null) {
      return false;
    }
    String basePath = base.getRawPath() == null ? "" : base.getRawPath();
    String path = u.getRawPath() == null ? "" : u.getRawPath();
    return basePath.isEmpty() || path.equals(basePath) || path.startsWith(basePath.endsWith("/") ? basePath
        : basePath + "/");
  }

  private static MailboxException foreignLink(java.net.URI base, String link, String kind, String folderPath) {
    String origin;
    try {
      origin = String.valueOf(GraphAuthentication.origin(new java.net.URI(link)));
    } catch (java.net.URISyntaxException e) {
      origin = "(not a URL)";
    }
    return new MailboxException("Graph's answer for " + folderPath + " had an " + kind + " outside the configured "
        + "Graph base URL (origin " + origin + ", expected " + GraphAuthentication.origin(base) + " under "
        + base.getRawPath() + "); refusing to follow or store it");
  }

  static Page read(InputStream in, String folderPath) throws IOException {
    List<Entry> entries = new ArrayList<>();
    String next = null;
    String delta = null;
    try (JsonParser p = JSON.createParser(in)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IOException("Graph answered a listing of " + folderPath + " with something other than a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "value" -> {
            if (value == JsonToken.START_ARRAY) {
              int seen = 0;
              while (p.nextToken() == JsonToken.START_OBJECT) {
                if (++seen > MAX_ENTRIES) {
                  throw new MailboxException("Graph answered a listing of " + folderPath + " with more than "
                      + MAX_ENTRIES + " messages in one page, more than Graph's largest page ($top 1,000); refused");
                }
                Entry e = message(p, folderPath);
                if (e != null) {
                  entries.add(e);
                }
              }
            } else {
              p.skipChildren();
            }
          }
          case "@odata.nextLink" -> next = p.getValueAsString();
          case "@odata.deltaLink" -> delta = p.getValueAsString();
          default -> p.skipChildren();
        }
      }
    }
    return new Page(entries, next, delta);
  }

  /** One message object, the parser on its START_OBJECT; null when it has no id. */
  private static Entry message(JsonParser p, String folderPath) throws IOException {
    String id = null;
    String internetMessageId = null;
    EmailAddress from = null;
    List<EmailAddress> to = new ArrayList<>();
    String subject = null;
    Instant received = null;
    long size = -1;
    boolean hasAttachments = false;
    boolean read = false;
    boolean removed = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "id" -> id = p.getValueAsString();
        case "internetMessageId" -> internetMessageId = p.getValueAsString();
        case "subject" -> subject = p.getValueAsString();
        case "receivedDateTime" -> received = instant(p.getValueAsString());
        case "hasAttachments" -> hasAttachments = value == JsonToken.VALUE_TRUE;
        case "isRead" -> read = value == JsonToken.VALUE_TRUE;
        case "from" -> from = recipient(p);
        case "toRecipients" -> {
          if (value == JsonToken.START_ARRAY) {
            while (p.nextToken() == JsonToken.START_OBJECT) {
              EmailAddress a = recipient(p);
              if (a != null) {
                to.add(a);
              }
            }
          } else {
            p.skipChildren();
          }
        }
        case "singleValueExtendedProperties" -> size = size(p);
        case "@removed" -> {
          removed = true;
          p.skipChildren();
        }
        default -> p.skipChildren();
      }
    }
    if (id == null) {
      return null;
    }
    MessageSummary summary = removed ? null
        : MessageSummary.of(new MessageId(id), folderPath, internetMessageId, from, to, subject,
            received == null ? Instant.EPOCH : received, size, hasAttachments, read);
    return new Entry(id, removed, received, summary);
  }

  /** A recipient object ({@code {"emailAddress": {"name": .., "address": ..}}}); null if absent or unusable. */
  private static EmailAddress recipient(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      p.skipChildren();
      return null;
    }
    String name = null;
    String address = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      if (field.equals("emailAddress") && value == JsonToken.START_OBJECT) {
        String[] nameAndAddress = twoFields(p, "name", "address");
        name = nameAndAddress[0];
        address = nameAndAddress[1];
      } else {
        p.skipChildren();
      }
    }
    if (address == null) {
      return null;
    }
    try {
      return EmailAddress.of(address, name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The size from the extended properties array, or -1 when it is not there or not a number. */
  private static long size(JsonParser p) throws IOException {
    long size = -1;
    if (p.currentToken() != JsonToken.START_ARRAY) {
      p.skipChildren();
      return size;
    }
    while (p.nextToken() == JsonToken.START_OBJECT) {
      String[] idAndValue = twoFields(p, "id", "value");
      String id = idAndValue[0];
      String value = idAndValue[1];
      if (id != null && value != null && Summaries.isSizeProperty(id)) {
        try {
          size = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
          size = -1;
        }
      }
    }
    return size;
  }

  /**
   * The text of two fields of the object the parser is in (just after its START_OBJECT), null where absent;
   * reads to the object's end, skipping the other fields.
   */
  private static String[] twoFields(JsonParser p, String first, String second) throws IOException {
    String[] values = new String[2];
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      if (field.equals(first)) {
        values[0] = p.getValueAsString();
      } else if (field.equals(second)) {
        values[1] = p.getValueAsString();
      } else {
        p.skipChildren();
      }
    }
    return values;
  }

  private static Instant instant(String text) {
    if (text == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
