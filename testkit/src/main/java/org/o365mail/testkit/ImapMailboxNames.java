package org.o365mail.testkit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;

/**
 * Translates folder names between Exchange Online's IMAP hierarchy delimiter {@code /} and GreenMail's
 * {@code .}. The two characters are swapped, which keeps every length unchanged, so command lines are rewritten
 * in place; a name holding a {@code .} on the Exchange side (a single folder named {@code Q1.2026}) round-trips
 * as GreenMail's {@code Q1/2026}. Names sent as literals are passed through untranslated. Stateless.
 */
final class ImapMailboxNames {
  private ImapMailboxNames() {}

  /**
   * Rewrites the mailbox arguments of a client command in place.
   *
   * @param line the command line
   * @param end where its content ends (before CRLF)
   * @param command the command name in upper case ({@code UID} commands pass their sub-command)
   * @param argsStart where the arguments start (after the command or UID sub-command name and its space)
   */
  static void commandToBackend(byte[] line, int end, String command, int argsStart) {
    switch (command) {
      case "SELECT", "EXAMINE", "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE", "STATUS", "APPEND" ->
          swapArguments(line, end, argsStart, 0, 0);
      case "RENAME", "LIST", "LSUB" -> swapArguments(line, end, argsStart, 0, 1);
      case "COPY", "MOVE" -> swapArguments(line, end, argsStart, 1, 1);
      default -> {
        // no mailbox names
      }
    }
  }

  /** Swaps the delimiters inside the arguments numbered {@code first} to {@code last} (atoms or quoted strings). */
  private static void swapArguments(byte[] line, int end, int start, int first, int last) {
    int i = start;
    for (int index = 0; index <= last && i < end; index++) {
      while (i < end && line[i] == ' ') {
        i++;
      }
      if (i >= end) {
        return;
      }
      int from;
      int to;
      if (line[i] == '"') {
        from = i + 1;
        to = closingQuote(line, from, end);
        i = to + 1;
      } else if (line[i] == '(') {
        i = closingParen(line, i, end) + 1;
        continue;
      } else if (line[i] == '{') {
        return;
      } else {
        from = i;
        while (i < end && line[i] != ' ') {
          i++;
        }
        to = i;
      }
      if (index >= first) {
        swap(line, from, Math.min(to, end));
      }
    }
  }

  /**
   * Rewrites a GreenMail response line for the client: the delimiter and name of {@code LIST}/{@code LSUB}
   * (adding {@code \HasChildren} or {@code \HasNoChildren} from {@code folderPaths}) and the name of {@code
   * STATUS}. Other lines are returned unchanged (the same array).
   *
   * @param folderPaths the mailbox's folder paths as {@link MailStore#folderPaths(String)} gives them; asked
   *     for only when the line is a LIST or LSUB response
   */
  static byte[] responseToClient(byte[] line, int n, FolderPaths folderPaths) {
    if (LineInput.startsWithIgnoreCase(line, n, 0, "* STATUS ")) {
      byte[] copy = Arrays.copyOf(line, n);
      int start = "* STATUS ".length();
      if (copy[start] == '"') {
        swap(copy, start + 1, closingQuote(copy, start + 1, n));
      } else {
        int i = start;
        while (i < n && copy[i] != ' ') {
          i++;
        }
        swap(copy, start, i);
      }
      return copy;
    }
    boolean list = LineInput.startsWithIgnoreCase(line, n, 0, "* LIST (");
    if (!list && !LineInput.startsWithIgnoreCase(line, n, 0, "* LSUB (")) {
      return line;
    }
    int open = "* LIST ".length();
    int close = closingParen(line, open, n);
    int end = LineInput.contentLength(line, n);
    // after the attributes: SP delimiter SP name
    int delimiter = close + 2;
    if (delimiter + 3 > end || line[delimiter] != '"') {
      return line;
    }
    int nameStart = delimiter + 4;
    if (nameStart >= end) {
      return line;
    }
    String attributes = new String(line, open + 1, close - open - 1, StandardCharsets.ISO_8859_1);
    String name;
    if (line[nameStart] == '"') {
      name = unescape(new String(line, nameStart + 1, closingQuote(line, nameStart + 1, end) - nameStart - 1,
          StandardCharsets.ISO_8859_1));
    } else if (line[nameStart] == '{') {
      return line;
    } else {
      name = new String(line, nameStart, end - nameStart, StandardCharsets.ISO_8859_1);
    }
    String children = "";
    if (!name.isEmpty() && !attributes.contains("Children")) {
      children = hasChildren(folderPaths.get(), pathOf(name)) ? "\\HasChildren" : "\\HasNoChildren";
    }
    String newAttributes = attributes.isEmpty() ? children : children.isEmpty() ? attributes : attributes + " " + children;
    String exchangeName = swap(name);
    String quoted = "\"" + exchangeName.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    String rewritten = new String(line, 0, open, StandardCharsets.ISO_8859_1) + "(" + newAttributes + ") \"/\" "
        + quoted + "\r\n";
    return rewritten.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Supplies a mailbox's folder paths when first needed. */
  interface FolderPaths {
    Collection<String> get();
  }

  /** GreenMail's {@code INBOX.Invoices} as a store path, {@code Inbox/Invoices}. */
  static String pathOf(String greenMailName) {
    String path = greenMailName.replace('.', '/');
    return path.regionMatches(true, 0, "INBOX", 0, 5) && (path.length() == 5 || path.charAt(5) == '/')
        ? "Inbox" + path.substring(5)
        : path;
  }

  private static boolean hasChildren(Collection<String> paths, String path) {
    String prefix = path.toLowerCase(Locale.ROOT) + "/";
    for (String p : paths) {
      if (p.toLowerCase(Locale.ROOT).startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private static String unescape(String quoted) {
    StringBuilder s = new StringBuilder(quoted.length());
    for (int i = 0; i < quoted.length(); i++) {
      char c = quoted.charAt(i);
      if (c == '\\' && i + 1 < quoted.length()) {
        c = quoted.charAt(++i);
      }
      s.append(c);
    }
    return s.toString();
  }

  static String swap(String name) {
    byte[] bytes = name.getBytes(StandardCharsets.ISO_8859_1);
    swap(bytes, 0, bytes.length);
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private static void swap(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '/') {
        bytes[i] = '.';
      } else if (bytes[i] == '.') {
        bytes[i] = '/';
      }
    }
  }

  private static int closingQuote(byte[] line, int from, int end) {
    int i = from;
    while (i < end && line[i] != '"') {
      if (line[i] == '\\') {
        i++;
      }
      i++;
    }
    return Math.min(i, end);
  }

  private static int closingParen(byte[] line, int open, int end) {
    int depth = 0;
    for (int i = open; i < end; i++) {
      if (line[i] == '"') {
        i = closingQuote(line, i + 1, end);
      } else if (line[i] == '(') {
        depth++;
      } else if (line[i] == ')' && --depth == 0) {
        return i;
      }
    }
    return end;
  }
}
