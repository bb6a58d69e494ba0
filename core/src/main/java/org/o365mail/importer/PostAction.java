package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;

/** What to do with a message in the mailbox once it is imported. Immutable. */
public final class PostAction {
  /** What kind of action. */
  public enum Kind {
    NONE,
    MARK_READ,
    MOVE,
    DELETE
  }

  private static final PostAction NONE = new PostAction(Kind.NONE, null, null);
  private static final PostAction MARK_READ = new PostAction(Kind.MARK_READ, null, null);

  private final Kind kind;
  private final FolderRef destination;
  private final DeleteMode deleteMode;

  private PostAction(Kind kind, FolderRef destination, DeleteMode deleteMode) {
    this.kind = kind;
    this.destination = destination;
    this.deleteMode = deleteMode;
  }

  /** Leave the message as it is. */
  public static PostAction none() {
    return NONE;
  }

  public static PostAction markRead() {
    return MARK_READ;
  }

  public static PostAction moveTo(FolderRef folder) {
    return new PostAction(Kind.MOVE, requireNonNull(folder, "folder"), null);
  }

  public static PostAction delete(DeleteMode mode) {
    return new PostAction(Kind.DELETE, null, requireNonNull(mode, "mode"));
  }

  public Kind kind() {
    return kind;
  }

  public Optional<FolderRef> destination() {
    return Optional.ofNullable(destination);
  }

  public Optional<DeleteMode> deleteMode() {
    return Optional.ofNullable(deleteMode);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case NONE -> "none";
      case MARK_READ -> "mark read";
      case MOVE -> "move to " + destination;
      case DELETE -> "delete (" + deleteMode + ")";
    };
  }
}
