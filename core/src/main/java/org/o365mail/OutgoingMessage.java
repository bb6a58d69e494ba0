package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A message to send: recipients, subject, a text or HTML body, attachments of any size. Built with {@link
 * #builder()}; immutable.
 *
 * <pre>{@code
 * OutgoingMessage.builder()
 *     .to("ops@contoso.com")
 *     .subject("Nightly export finished")
 *     .text("12 documents imported.")
 *     .attach(OutgoingAttachment.file(Path.of("report.pdf")))
 *     .build();
 * }</pre>
 */
public final class OutgoingMessage {
  private final EmailAddress from;
  private final List<EmailAddress> to;
  private final List<EmailAddress> cc;
  private final List<EmailAddress> bcc;
  private final List<EmailAddress> replyTo;
  private final String subject;
  private final String body;
  private final boolean html;
  private final List<OutgoingAttachment> attachments;
  private final boolean saveToSentItems;

  private OutgoingMessage(Builder b) {
    this.from = b.from;
    this.to = List.copyOf(b.to);
    this.cc = List.copyOf(b.cc);
    this.bcc = List.copyOf(b.bcc);
    this.replyTo = List.copyOf(b.replyTo);
    this.subject = b.subject;
    this.body = b.body;
    this.html = b.html;
    this.attachments = List.copyOf(b.attachments);
    this.saveToSentItems = b.saveToSentItems;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The sender; empty means the connector's mailbox. */
  public Optional<EmailAddress> from() {
    return Optional.ofNullable(from);
  }

  public List<EmailAddress> to() {
    return to;
  }

  public List<EmailAddress> cc() {
    return cc;
  }

  public List<EmailAddress> bcc() {
    return bcc;
  }

  public List<EmailAddress> replyTo() {
    return replyTo;
  }

  /** To, Cc and Bcc together. */
  public List<EmailAddress> allRecipients() {
    List<EmailAddress> all = new ArrayList<>(to);
    all.addAll(cc);
    all.addAll(bcc);
    return all;
  }

  public String subject() {
    return subject;
  }

  public String body() {
    return body;
  }

  public boolean html() {
    return html;
  }

  public List<OutgoingAttachment> attachments() {
    return attachments;
  }

  /** Total attachment bytes. */
  public long attachmentBytes() {
    return attachments.stream().mapToLong(OutgoingAttachment::size).sum();
  }

  public boolean saveToSentItems() {
    return saveToSentItems;
  }

  @Override
  public String toString() {
    return "OutgoingMessage[to=" + to + ", cc=" + cc + ", bcc=" + bcc.size() + ", subject=" + subject + ", attachments="
        + attachments.size() + "]";
  }

  /** Builds an {@link OutgoingMessage}; {@link #build()} needs a recipient and a subject. */
  public static final class Builder {
    private EmailAddress from;
    private final List<EmailAddress> to = new ArrayList<>();
    private final List<EmailAddress> cc = new ArrayList<>();
    private final List<EmailAddress> bcc = new ArrayList<>();
    private final List<EmailAddress> replyTo = new ArrayList<>();
    private String subject;
    private String body = "";
    private boolean html;
    private final List<OutgoingAttachment> attachments = new ArrayList<>();
    private boolean saveToSentItems = true;

    private Builder() {}

    /** Sends as another mailbox (needs Send As / FullAccess); default the connector's mailbox. */
    public Builder from(EmailAddress address) {
      this.from = requireNonNull(address, "from");
      return this;
    }

    public Builder to(String... addresses) {
      for (String a : addresses) {
        to.add(EmailAddress.of(a));
      }
      return this;
    }

    public Builder to(EmailAddress address) {
      to.add(requireNonNull(address, "to"));
      return this;
    }

    public Builder cc(String... addresses) {
      for (String a : addresses) {
        cc.add(EmailAddress.of(a));
      }
      return this;
    }

    public Builder bcc(String... addresses) {
      for (String a : addresses) {
        bcc.add(EmailAddress.of(a));
      }
      return this;
    }

    public Builder replyTo(String address) {
      replyTo.add(EmailAddress.of(address));
      return this;
    }

    public Builder subject(String value) {
      this.subject = requireNonNull(value, "subject");
      return this;
    }

    /** A plain-text body. */
    public Builder text(String value) {
      this.body = requireNonNull(value, "text");
      this.html = false;
      return this;
    }

    /** An HTML body. */
    public Builder html(String value) {
      this.body = requireNonNull(value, "html");
      this.html = true;
      return this;
    }

    public Builder attach(OutgoingAttachment attachment) {
      attachments.add(requireNonNull(attachment, "attachment"));
      return this;
    }

    /** Whether a copy is kept in Sent Items (default true). */
    public Builder saveToSentItems(boolean value) {
      this.saveToSentItems = value;
      return this;
    }

    public OutgoingMessage build() {
      if (to.isEmpty() && cc.isEmpty() && bcc.isEmpty()) {
        throw new IllegalStateException("missing required setting: to(), cc() or bcc() (at least one recipient)");
      }
      if (subject == null) {
        throw new IllegalStateException("missing required setting: subject()");
      }
      return new OutgoingMessage(this);
    }
  }
}
