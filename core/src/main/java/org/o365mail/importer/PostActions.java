package org.o365mail.importer;

import static org.o365mail.ServiceText.printable;

import java.time.Clock;
import java.util.List;
import org.o365mail.Diagnosis;
import org.o365mail.FolderNotFoundException;
import org.o365mail.FolderRef;
import org.o365mail.MailboxAuthenticationException;
import org.o365mail.MailboxConnector;
import org.o365mail.MailboxException;
import org.o365mail.MessageId;
import org.o365mail.MessageNotFoundException;
import org.o365mail.MessageSummary;
import org.o365mail.SetupStep;
import org.o365mail.ThrottledException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link PostAction} (mark read, move, delete) on messages whose handled checkpoint is durable, and keeps
 * those it could not do pending in the checkpoint: after a crash, after a failure of the service, or while the move's
 * destination folder is missing (then the pass reports it, see {@link #blocked()}). Runs none once the importer's
 * lease was taken over ({@link LeaseLostException}). Used by one pass at a time.
 */
final class PostActions {
  private static final Logger logger = LoggerFactory.getLogger(MailImporter.class);

  private final MailboxConnector connector;
  private final PostAction postAction;
  private final FencedStore store;
  private final Clock clock;
  /** Set during a pass when the post-action's destination folder is missing; reset when a pass begins. */
  private volatile Diagnosis blocked;

  PostActions(MailboxConnector connector, PostAction postAction, FencedStore store, Clock clock) {
    this.connector = connector;
    this.postAction = postAction;
    this.store = store;
    this.clock = clock;
  }

  /** A pass begins: a folder missing in the last one may exist now. */
  void beginPass() {
    blocked = null;
  }

  /** Why post-actions wait in this pass (the destination folder is missing), or null. */
  Diagnosis blocked() {
    return blocked;
  }

  /** The post-action to write down with a handled message; null when there is none to do. */
  PendingAction pendingFor(String messageKey, MessageSummary m) {
    return postAction.kind() == PostAction.Kind.NONE ? null : new PendingAction(messageKey, m.id().value());
  }

  /** Runs the checkpoint's pending post-actions (those of this batch, or left by a crash or a failure). */
  Checkpoint runPending(CheckpointKey key, Checkpoint checkpoint) {
    return run(key, checkpoint, checkpoint.pending());
  }

  /**
   * Runs the post-action on several messages with one call of the connector ({@code markRead} and {@code move}
   * take many ids); if one of them is gone, or the connector cannot do them together, one by one.
   */
  Checkpoint run(CheckpointKey key, Checkpoint checkpoint, List<PendingAction> actions) {
    if (actions.isEmpty() || blocked != null) {
      return checkpoint;
    }
    if (postAction.kind() != PostAction.Kind.NONE) {
      store.check(); // an instance whose lease was taken over must not move or delete what the new holder imports
    }
    PostAction.Kind kind = postAction.kind();
    if (actions.size() > 1 && (kind == PostAction.Kind.MARK_READ || kind == PostAction.Kind.MOVE)) {
      List<MessageId> ids = actions.stream().map(a -> new MessageId(a.messageId())).toList();
      try {
        if (kind == PostAction.Kind.MARK_READ) {
          connector.markRead(ids, true);
        } else {
          connector.move(ids, postAction.destination().orElseThrow());
        }
        Checkpoint next = checkpoint;
        for (PendingAction action : actions) {
          next = next.withActionDone(action.messageKey(), clock.instant());
        }
        store.save(key, next);
        return next;
      } catch (MailboxException e) {
        if (mailboxWide(e)) {
          logger.debug("Post-action '{}' on {} messages failed ({}); they stay pending", postAction, ids.size(),
              code(e));
          return checkpoint;
        }
        logger.debug("Post-action '{}' on {} messages together failed ({}); one by one", postAction, ids.size(),
            code(e));
      }
    }
    Checkpoint c = checkpoint;
    for (PendingAction action : actions) {
      try {
        c = runOne(key, c, action);
      } catch (MailboxException e) {
        // throttled, signed out or the service down: each further message would wait out the same failure
        logger.debug("Post-action '{}' on {} failed ({}); it and the {} after it stay pending", postAction,
            printable(action.messageKey()), code(e), actions.size() - actions.indexOf(action) - 1);
        break;
      }
    }
    return c;
  }

  /** Whether a failure is the mailbox's or the service's as a whole rather than one message's. */
  private static boolean mailboxWide(MailboxException e) {
    return e instanceof ThrottledException || e instanceof MailboxAuthenticationException || e.retryable();
  }

  /** The service's error code, or the failure's type: safe to log. */
  private static String code(MailboxException e) {
    return printable(e.serviceErrorCode().orElse(e.getClass().getSimpleName()));
  }

  private Checkpoint runOne(CheckpointKey key, Checkpoint checkpoint, PendingAction action) {
    if (blocked != null) {
      return checkpoint; // its destination is missing: the rest of this pass would fail the same way
    }
    MessageId id = new MessageId(action.messageId());
    try {
      switch (postAction.kind()) {
        case MARK_READ -> connector.markRead(id, true);
        case MOVE -> connector.move(id, postAction.destination().orElseThrow());
        case DELETE -> connector.delete(id, postAction.deleteMode().orElseThrow());
        default -> {
          // nothing to do
        }
      }
    } catch (MessageNotFoundException e) {
      logger.debug("Message {} is gone; post-action '{}' dropped", printable(action.messageKey()), postAction);
    } catch (FolderNotFoundException e) {
      FolderRef destination = postAction.destination().orElseThrow();
      blocked = Diagnosis.builder(SetupStep.MAILBOX_FOLDER, e.serviceErrorCode().orElse("folder not found"))
          .summary("The post-action moves imported mail to " + destination + ", which does not exist in "
              + connector.mailbox() + "; the messages are imported and their move waits until the folder exists")
          .fix("Create the folder " + destination + " in " + connector.mailbox() + ", or change the post-action")
          .retryable(true)
          .build();
      return checkpoint;
    } catch (MailboxException e) {
      if (mailboxWide(e)) {
        throw e;
      }
      logger.debug("Post-action '{}' on {} failed ({}); it stays pending", postAction, printable(action.messageKey()),
          code(e));
      return checkpoint;
    }
    Checkpoint next = checkpoint.withActionDone(action.messageKey(), clock.instant());
    store.save(key, next);
    return next;
  }
}
