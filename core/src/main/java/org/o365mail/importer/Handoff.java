package org.o365mail.importer;

import static org.o365mail.ServiceText.printable;

import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.o365mail.AttachmentInfo;
import org.o365mail.FolderRef;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.ThrottledException;
import org.o365mail.internal.Sleeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands one message to the {@link MessageHandler}: the configured attempts with back-off on the injected {@link
 * Sleeper}, and what came of them. A failure to read the message from the service is the connector's, not the
 * handler's: it is thrown, never counted as a refusal. Used by one pass at a time.
 */
final class Handoff {
  private static final Logger logger = LoggerFactory.getLogger(MailImporter.class);

  private final MailboxConnector connector;
  private final MessageHandler handler;
  private final int attempts;
  private final Duration backoff;
  private final Sleeper sleeper;
  private final AtomicBoolean stopping;
  private final ImportHealth health;

  Handoff(MailboxConnector connector, MessageHandler handler, int attempts, Duration backoff, Sleeper sleeper,
      AtomicBoolean stopping, ImportHealth health) {
    this.connector = connector;
    this.handler = handler;
    this.attempts = attempts;
    this.backoff = backoff;
    this.sleeper = sleeper;
    this.stopping = stopping;
    this.health = health;
  }

  MessageHandler handler() {
    return handler;
  }

  /**
   * What came of handing a message out.
   *
   * @param accepted the handler returned
   * @param stopped the importer is closing, or the thread was interrupted: neither accepted nor refused
   * @param message what the handler was given last (null when refused on every attempt)
   * @param attempts calls of the handler
   * @param error the last failure, or null
   */
  record Outcome(boolean accepted, boolean stopped, IncomingMessage message, int attempts, Throwable error) {
    /** The same calls, ended by a failure after the handler returned (a flush). */
    Outcome failedAfter(Throwable failure) {
      return new Outcome(false, failure instanceof InterruptedException, message, attempts, failure);
    }
  }

  /**
   * Calls the handler until it accepts the message, the attempts are used up, or the importer stops.
   *
   * @param mime the MIME fetched ahead, for the first attempt (null: read on demand)
   * @throws MailboxException if reading the message from the service failed, or the handler's failure was the
   *     service's throttling
   */
  Outcome deliver(FolderRef folder, MessageSummary m, String messageKey, boolean redelivery, InputStream mime) {
    Throwable last = null;
    Duration wait = backoff;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      Incoming incoming = new Incoming(m, messageKey, folder, attempt, redelivery, attempt == 1 ? mime : null);
      try {
        handler.handle(incoming);
        return new Outcome(true, false, incoming, attempt, null);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Outcome(false, true, incoming, attempt, e);
      } catch (MailboxException e) {
        // reading the message from the service failed: that is the connector's failure, not the handler's
        if (!(e.getCause() instanceof UncheckedIOException) && !(e instanceof MessageNotFoundException)) {
          throw e;
        }
        last = e;
        health.handlerFailed(incoming, e);
      } catch (Exception e) {
        ThrottledException throttled = throttledCause(e);
        if (throttled != null) {
          // the handler wrapped the service's "come back later" in its own exception: still the service's, not a
          // refusal of this message, so the pass ends throttled instead of parking the message
          throw throttled;
        }
        last = e;
        health.handlerFailed(incoming, e);
      }
      if (stopping.get()) {
        return new Outcome(false, true, incoming, attempt, last);
      }
      if (attempt < attempts) {
        logger.debug("Handler refused message {} of {} (attempt {} of {}): {}", printable(messageKey),
            connector.mailbox(), attempt, attempts, last.getClass().getSimpleName());
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new Outcome(false, true, incoming, attempt, last);
        }
        wait = wait.multipliedBy(2);
      }
    }
    return new Outcome(false, false, null, attempts, last);
  }

  /**
   * Makes what a {@link BatchingMessageHandler} took in durable.
   *
   * @return null when it did, else its failure (an {@link InterruptedException} with the interrupt restored)
   */
  static Exception flush(BatchingMessageHandler batching) {
    try {
      batching.flush();
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return e;
    } catch (Exception e) {
      return e;
    }
  }

  /** A failure as kept in a dead letter and logged: its class and message (empty for none). */
  static String describe(Throwable error) {
    return error == null ? "" : error.getClass().getName() + (error.getMessage() == null ? ""
        : ": " + error.getMessage());
  }

  /** The throttling in a handler's failure's causes, if any. */
  private static ThrottledException throttledCause(Throwable e) {
    int depth = 0;
    for (Throwable t = e.getCause(); t != null && depth < 16; t = t.getCause(), depth++) {
      if (t instanceof ThrottledException throttled) {
        return throttled;
      }
    }
    return null;
  }

  /** The message handed to the handler. */
  private final class Incoming implements IncomingMessage {
    private final MessageSummary summary;
    private final String key;
    private final FolderRef folder;
    private final int attempt;
    private final boolean redelivery;
    /** The MIME read ahead, handed out by the first {@link #openMime()}; later calls read it again. */
    private InputStream ahead;

    Incoming(MessageSummary summary, String key, FolderRef folder, int attempt, boolean redelivery,
        InputStream ahead) {
      this.summary = summary;
      this.key = key;
      this.folder = folder;
      this.attempt = attempt;
      this.redelivery = redelivery;
      this.ahead = ahead;
    }

    @Override
    public MessageSummary summary() {
      return summary;
    }

    @Override
    public String idempotencyKey() {
      return key;
    }

    @Override
    public String mailbox() {
      return connector.mailbox();
    }

    @Override
    public FolderRef folder() {
      return folder;
    }

    @Override
    public InputStream openMime() {
      InputStream in = ahead;
      if (in != null) {
        ahead = null;
        return in;
      }
      return connector.openMime(summary.id());
    }

    @Override
    public List<AttachmentInfo> attachments() {
      return connector.listAttachments(summary.id());
    }

    @Override
    public InputStream openAttachment(String attachmentId) {
      return connector.openAttachment(summary.id(), attachmentId);
    }

    @Override
    public int attempt() {
      return attempt;
    }

    @Override
    public boolean possibleRedelivery() {
      return redelivery;
    }

    @Override
    public String toString() {
      return "IncomingMessage[" + key + ", attempt " + attempt + (redelivery ? ", possible redelivery" : "") + "]";
    }
  }
}
