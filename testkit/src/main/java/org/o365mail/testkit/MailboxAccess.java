package org.o365mail.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Who touched which mailbox and when, as the local tenant saw it: a snapshot taken by {@link
 * LocalTenant#mailboxAccess()}, for tests of several instances sharing mailboxes (each imported by one instance at a
 * time, a dead instance's mailboxes taken over in time). A client is the application of the access token ({@code
 * appid}, {@code azp} for v2.0 tokens); a mailbox is touched by a Graph request naming it ({@code /users/{id or
 * UPN}/...} or {@code /me}, each {@code $batch} item on its own) from its arrival until its answer is written, by an
 * IMAP session from its successful {@code AUTHENTICATE XOAUTH2} until the server reads its {@code LOGOUT} (before it
 * answers) or sees the socket close, and by an SMTP session from its successful {@code AUTH} until {@code QUIT} or
 * the socket closes. Requests refused before their mailbox was resolved (a bad token, an unknown user) touch nothing.
 * Instants are the tenant clock's ({@link LocalTenant#clock()}).
 *
 * <p>Bounded: at most 1,000 overlaps in all and 64 handovers per mailbox are kept, the first ones; later ones are
 * only counted ({@link #droppedOverlaps()}, {@link #droppedHandovers()}). A test that needs to tell instances apart
 * gives each its own app registration. Immutable and thread-safe.
 *
 * @param overlaps every time a client began touching a mailbox while another client's activity on it was in
 *     flight, in the order the tenant saw them
 * @param droppedOverlaps overlaps seen past the bound and not kept
 * @param handovers every change of the client touching a mailbox, per mailbox in the order seen, mailboxes in the
 *     order first touched
 * @param droppedHandovers handovers seen past the per-mailbox bound and not kept
 * @param mailboxesByClient every client and the mailboxes (as first named) it touched
 * @param active the mailboxes with activity in flight when the snapshot was taken, each with the
 *     clients whose activity on it was in flight
 */
public record MailboxAccess(
    List<Overlap> overlaps,
    long droppedOverlaps,
    List<Handover> handovers,
    long droppedHandovers,
    Map<String, Set<String>> mailboxesByClient,
    Map<String, Set<String>> active) {

  public MailboxAccess {
    overlaps = List.copyOf(overlaps);
    handovers = List.copyOf(handovers);
    mailboxesByClient = Map.copyOf(mailboxesByClient);
    active = Map.copyOf(active);
  }

  /**
   * A client began touching a mailbox while another client's activity on it was still in flight (a Graph request
   * not yet answered, an IMAP or SMTP session not yet ended).
   *
   * @param mailbox the mailbox, as first named
   * @param client the client already touching it
   * @param otherClient the client that began touching it
   * @param at when the second client began
   */
  public record Overlap(String mailbox, String client, String otherClient, Instant at) {
    public Overlap {
      Objects.requireNonNull(mailbox, "mailbox");
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(otherClient, "otherClient");
      Objects.requireNonNull(at, "at");
    }
  }

  /**
   * The client touching a mailbox changed.
   *
   * @param mailbox the mailbox, as first named
   * @param fromClient the client that touched it before
   * @param toClient the client that touches it now
   * @param fromLastActivity when the previous client's last activity on it ended (when the new one began, if that
   *     activity was still in flight)
   * @param toFirstActivity when the new client's first activity on it began
   */
  public record Handover(
      String mailbox, String fromClient, String toClient, Instant fromLastActivity, Instant toFirstActivity) {
    public Handover {
      Objects.requireNonNull(mailbox, "mailbox");
      Objects.requireNonNull(fromClient, "fromClient");
      Objects.requireNonNull(toClient, "toClient");
      Objects.requireNonNull(fromLastActivity, "fromLastActivity");
      Objects.requireNonNull(toFirstActivity, "toFirstActivity");
    }

    /** How long the mailbox was untouched between the two clients (zero when they overlapped). */
    public Duration gap() {
      Duration gap = Duration.between(fromLastActivity, toFirstActivity);
      return gap.isNegative() ? Duration.ZERO : gap;
    }
  }

  /** The overlaps on one mailbox (case-insensitive). */
  public List<Overlap> overlaps(String mailbox) {
    return overlaps.stream().filter(o -> o.mailbox().equalsIgnoreCase(mailbox.trim())).toList();
  }

  /** The handovers of one mailbox (case-insensitive), in the order seen. */
  public List<Handover> handovers(String mailbox) {
    return handovers.stream().filter(h -> h.mailbox().equalsIgnoreCase(mailbox.trim())).toList();
  }

  /** The mailboxes {@code client} touched, empty for a client never seen. */
  public Set<String> mailboxesOf(String client) {
    return mailboxesByClient.getOrDefault(client, Set.of());
  }

  /** The clients seen touching any mailbox. */
  public Set<String> clients() {
    return mailboxesByClient.keySet();
  }
}
