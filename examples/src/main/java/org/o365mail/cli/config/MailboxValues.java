package org.o365mail.cli.config;

import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.o365mail.DeleteMode;
import org.o365mail.FolderRef;
import org.o365mail.doctor.ConnectionDoctor;
import org.o365mail.importer.PostAction;

/**
 * The values that say what a connection does with its mailbox: {@code use} (read, send) and {@code postAction}
 * (what happens to a message once imported), each parsed with a problem naming its key when it is wrong.
 *
 * <p>Stateless and thread-safe.
 */
final class MailboxValues {
  private MailboxValues() {}

  static Set<ConnectionDoctor.Use> uses(String name, String text, List<String> problems) {
    EnumSet<ConnectionDoctor.Use> set = EnumSet.noneOf(ConnectionDoctor.Use.class);
    for (String part : text.split(",", -1)) {
      String p = part.trim().toLowerCase(Locale.ROOT);
      if (p.equals("read")) {
        set.add(ConnectionDoctor.Use.READ);
      } else if (p.equals("send")) {
        set.add(ConnectionDoctor.Use.SEND);
      } else {
        problems.add(name + ".use '" + ConfigText.shown(text) + "' is not one of read, send, read,send");
        return EnumSet.of(ConnectionDoctor.Use.READ, ConnectionDoctor.Use.SEND);
      }
    }
    return set;
  }

  static PostAction postAction(String name, String text, List<String> problems) {
    String t = text.trim();
    String lower = t.toLowerCase(Locale.ROOT);
    if (lower.equals("none")) {
      return PostAction.none();
    }
    if (lower.equals("mark-read")) {
      return PostAction.markRead();
    }
    if (lower.equals("delete")) {
      return PostAction.delete(DeleteMode.MOVE_TO_DELETED_ITEMS);
    }
    if (lower.equals("purge")) {
      return PostAction.delete(DeleteMode.PERMANENT);
    }
    if (lower.startsWith("move:")) {
      try {
        return PostAction.moveTo(FolderRef.path(t.substring(5)));
      } catch (IllegalArgumentException e) {
        problems.add(name + ".postAction '" + ConfigText.shown(text) + "' names no folder: write move:<folder path>"
            + " such as move:Inbox/Imported (" + ConfigText.message(e.getMessage()) + ")");
        return PostAction.none();
      }
    }
    problems.add(name + ".postAction '" + ConfigText.shown(text) + "' is not one of none, mark-read,"
        + " move:<folder path>, delete, purge");
    return PostAction.none();
  }
}
