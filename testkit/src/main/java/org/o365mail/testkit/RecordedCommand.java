package org.o365mail.testkit;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * An IMAP or SMTP command one of the local tenant's mail servers received, for tests that check which commands a
 * client actually sent (one {@code UID MOVE} and no {@code COPY}, one {@code DATA}...). Holds no credential: the
 * response of {@code AUTHENTICATE}/{@code AUTH} (an XOAUTH2 token, a PLAIN or LOGIN password) and the password of
 * {@code LOGIN} are replaced by {@link #REDACTED}, and SASL continuation lines are not commands and are not
 * recorded. Message bodies are not kept either: an IMAP literal appears as the {@code {N}} that announced it and an
 * SMTP {@code DATA} as its size in {@link #payloadBytes()}. Immutable and thread-safe.
 *
 * @param protocol IMAP or SMTP
 * @param session the connection the command came on, unique per tenant and protocol
 * @param user the mailbox the session had authenticated as when the command arrived, or empty
 * @param tag the IMAP tag, or empty for SMTP
 * @param name the command, upper-cased; an IMAP {@code UID} command with its sub-command ({@code UID MOVE})
 * @param arguments the rest of the command as sent, literals shown by their {@code {N}} markers, credentials
 *     redacted; empty when there are none
 * @param payloadBytes bytes of literals (IMAP) or of the message ({@code DATA}) that came with the command and were
 *     not stored
 * @param at tenant clock time the command was received
 */
public record RecordedCommand(
    Protocol protocol,
    long session,
    String user,
    String tag,
    String name,
    String arguments,
    long payloadBytes,
    Instant at) {

  /** What stands in the arguments where a credential was. */
  public static final String REDACTED = "<redacted>";

  /** The mail protocols whose commands are recorded. */
  public enum Protocol {
    IMAP,
    SMTP
  }

  public RecordedCommand {
    Objects.requireNonNull(protocol, "protocol");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(tag, "tag");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(arguments, "arguments");
    Objects.requireNonNull(at, "at");
    name = name.toUpperCase(Locale.ROOT);
  }

  /** Whether this is the command {@code name} (case-insensitive, {@code "UID MOVE"} for a UID command). */
  public boolean is(String name) {
    return this.name.equalsIgnoreCase(name);
  }

  /** The command as it would read on the wire without its tag: {@code UID MOVE 1:3 Archive}. */
  public String line() {
    return arguments.isEmpty() ? name : name + " " + arguments;
  }

  /**
   * The arguments of a command to keep, given the arguments as sent: the response of {@code AUTHENTICATE} (IMAP)
   * and {@code AUTH} (SMTP) after its mechanism, and the password of IMAP {@code LOGIN}, become {@link #REDACTED}.
   */
  static String redact(String name, String arguments) {
    String upper = name.toUpperCase(Locale.ROOT);
    String trimmed = arguments.strip();
    if (upper.equals("AUTHENTICATE") || upper.equals("AUTH")) {
      int space = trimmed.indexOf(' ');
      return space < 0 ? trimmed : trimmed.substring(0, space) + " " + REDACTED;
    }
    if (upper.equals("LOGIN")) {
      String user = firstArgument(trimmed);
      return user.isEmpty() ? (trimmed.isEmpty() ? "" : REDACTED) : user + " " + REDACTED;
    }
    return trimmed;
  }

  /** The first IMAP argument as sent (an atom, or a quoted string with its quotes), or empty. */
  private static String firstArgument(String arguments) {
    if (arguments.isEmpty() || arguments.startsWith("{")) {
      return "";
    }
    if (arguments.charAt(0) != '"') {
      int space = arguments.indexOf(' ');
      return space < 0 ? arguments : arguments.substring(0, space);
    }
    for (int i = 1; i < arguments.length(); i++) {
      char c = arguments.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        return arguments.substring(0, i + 1);
      }
    }
    return "";
  }
}
