package org.o365mail.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads IMAP commands off a client connection: before login a whole command with its literals, which it inlines as
 * arguments (answering each synchronizing literal with the continuation the session sends); after login the parts
 * of a command line the session relays (tag, name, UID sub-command, where the arguments start). Also the IMAP
 * tokenizing both need. Not thread-safe: one per connection, used by the thread reading the client.
 */
final class ImapCommandReader {
  /**
   * A command read whole, its literals inlined as arguments; {@code shown} is its arguments as sent with each literal
   * replaced by its {@code {N}} marker, {@code literalBytes} the size of those literals.
   *
   * @param name the command upper-cased, empty for a line that held only a tag
   */
  record Command(Instant receivedAt, String tag, String name, List<String> args, String shown, long literalBytes) {}

  /**
   * The first line of a command relayed after login.
   *
   * @param name the command name upper-cased ({@code UID} for a UID command)
   * @param sub the sub-command of a UID command upper-cased, else empty
   * @param argsStart where the arguments start in the line
   */
  record CommandLine(String tag, String name, String sub, int argsStart) {
    /** The command as it is named in throttles and records: {@code UID FETCH}, {@code SELECT}. */
    String command() {
      return name.equals("UID") ? "UID " + sub : name;
    }
  }

  /** Sends the continuation a synchronizing literal waits for. */
  interface Continuation {
    void send() throws IOException;
  }

  private final Clock clock;
  private final int maxCommand;

  /**
   * @param clock the tenant's clock, for when a command was received
   * @param maxCommand longest command, literals included
   */
  ImapCommandReader(Clock clock, int maxCommand) {
    this.clock = clock;
    this.maxCommand = maxCommand;
  }

  /**
   * Reads one command with its literals, sending {@code continuation} for each synchronizing one, or null at the end
   * of the stream. Empty lines are skipped. A line holding only a tag comes back with an empty name, for the session
   * to answer {@code BAD}.
   *
   * @throws LineInput.LineTooLongException if the command, literals included, is longer than the reader allows
   */
  Command read(LineInput in, Continuation continuation) throws IOException {
    while (true) {
      int n = in.readLine(maxCommand);
      if (n < 0) {
        return null;
      }
      Instant receivedAt = clock.instant();
      List<String> tokens = new ArrayList<>();
      StringBuilder shown = new StringBuilder();
      long literalBytes = 0;
      int total = 0;
      while (true) {
        byte[] line = in.line();
        total += n;
        long literal = LineInput.literalLength(line, n);
        int end = LineInput.contentLength(line, n);
        shown.append(new String(line, 0, end, StandardCharsets.ISO_8859_1));
        if (literal < 0) {
          tokenize(line, 0, end, tokens);
          break;
        }
        literalBytes += literal;
        int brace = lastIndexOf(line, (byte) '{', end);
        tokenize(line, 0, brace, tokens);
        boolean synchronizing = !LineInput.literalIsNonSynchronizing(line, n);
        if (total + literal > maxCommand) {
          throw new LineInput.LineTooLongException(maxCommand);
        }
        if (synchronizing) {
          continuation.send();
        }
        tokens.add(new String(in.readBytes((int) literal), StandardCharsets.ISO_8859_1));
        total += (int) literal;
        n = in.readLine(maxCommand - total);
        if (n < 0) {
          return null;
        }
      }
      if (tokens.isEmpty()) {
        continue;
      }
      String tag = tokens.get(0);
      String name = tokens.size() == 1 ? "" : tokens.get(1).toUpperCase(Locale.ROOT);
      List<String> args = tokens.size() <= 2 ? List.of() : List.copyOf(tokens.subList(2, tokens.size()));
      return new Command(receivedAt, tag, name, args, afterTwoWords(shown.toString()), literalBytes);
    }
  }

  /**
   * The tag, command name (upper-cased) and, for a {@code UID} command, its sub-command of a command line relayed
   * after login, and where its arguments start; null when the line has no tag.
   *
   * @param end length of the line without its CRLF
   */
  static CommandLine commandLine(byte[] line, int end) {
    int tagEnd = indexOf(line, (byte) ' ', 0, end);
    if (tagEnd <= 0) {
      return null;
    }
    String tag = new String(line, 0, tagEnd, StandardCharsets.ISO_8859_1);
    int nameEnd = indexOf(line, (byte) ' ', tagEnd + 1, end);
    String name = upper(line, tagEnd + 1, nameEnd < 0 ? end : nameEnd);
    String sub = "";
    int argsStart = nameEnd < 0 ? end : nameEnd + 1;
    if (name.equals("UID") && nameEnd > 0) {
      int subEnd = indexOf(line, (byte) ' ', nameEnd + 1, end);
      sub = upper(line, nameEnd + 1, subEnd < 0 ? end : subEnd);
      argsStart = subEnd < 0 ? end : subEnd + 1;
    }
    return new CommandLine(tag, name, sub, argsStart);
  }

  /** Splits IMAP arguments into atoms and quoted strings (unquoted). */
  static void tokenize(byte[] line, int from, int to, List<String> tokens) {
    int i = from;
    while (i < to) {
      byte b = line[i];
      if (b == ' ') {
        i++;
      } else if (b == '"') {
        StringBuilder s = new StringBuilder();
        i++;
        while (i < to && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < to) {
            i++;
          }
          s.append((char) (line[i] & 0xff));
          i++;
        }
        tokens.add(s.toString());
        i++;
      } else {
        int start = i;
        while (i < to && line[i] != ' ') {
          i++;
        }
        tokens.add(new String(line, start, i - start, StandardCharsets.ISO_8859_1));
      }
    }
  }

  /** What follows the tag and the command name of a command line, or empty. */
  static String afterTwoWords(String line) {
    int tagEnd = line.indexOf(' ');
    int nameEnd = tagEnd < 0 ? -1 : line.indexOf(' ', tagEnd + 1);
    return nameEnd < 0 ? "" : line.substring(nameEnd + 1);
  }

  private static String upper(byte[] line, int from, int to) {
    return new String(line, from, Math.max(0, to - from), StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT);
  }

  static int indexOf(byte[] bytes, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static int lastIndexOf(byte[] bytes, byte b, int before) {
    for (int i = before - 1; i >= 0; i--) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return 0;
  }
}
