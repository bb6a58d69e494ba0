package org.o365mail.testkit;

import com.icegreen.greenmail.imap.ImapConstants;
import com.icegreen.greenmail.imap.ImapHostManager;
import com.icegreen.greenmail.imap.ImapRequestHandler;
import com.icegreen.greenmail.imap.ImapResponse;
import com.icegreen.greenmail.imap.ImapSession;
import com.icegreen.greenmail.imap.ImapSessionFolder;
import com.icegreen.greenmail.imap.ImapSessionState;
import com.icegreen.greenmail.server.AbstractSocketProtocolHandler;
import com.icegreen.greenmail.store.FolderException;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.store.MessageFlags;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.user.UserManager;
import jakarta.mail.Flags;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One connection to the GreenMail backend, run by GreenMail's own command handling, with a session whose selected
 * folder knows each message's sequence number from the {@link IndexedFolder}'s index. GreenMail's session looks a
 * sequence number up by copying and scanning the folder's UIDs, and its FETCH, STORE and SEARCH do that for every
 * message of the folder: a command on a folder of 10,000 messages cost about 0.1 s whatever it asked for, so a
 * client fetching message by message (as a plain Angus Mail loop does) slowed down with the square of the folder.
 */
final class BackendImapHandler extends AbstractSocketProtocolHandler {
  private final UserManager users;
  private final ImapHostManager hosts;
  private final ImapRequestHandler requests = new ImapRequestHandler();
  private volatile ImapResponse response;

  BackendImapHandler(UserManager users, ImapHostManager hosts, Socket socket) {
    super(socket);
    this.users = users;
    this.hosts = hosts;
  }

  @Override
  public void run() {
    try (InputStream in = new BufferedInputStream(socket.getInputStream(), 512);
        OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 1024)) {
      ImapResponse answers = new ImapResponse(out);
      response = answers;
      answers.okResponse(null, ImapConstants.VERSION + " Server GreenMail ready");
      Session session = new Session(socket.getInetAddress().getHostAddress());
      while (!isQuitting() && requests.handleRequest(in, out, session)) {
        // one command at a time until LOGOUT or the end of the stream
      }
    } catch (Exception e) {
      if (!isQuitting()) {
        log.debug("IMAP backend connection ended: {}", e.toString());
      }
    } finally {
      close();
    }
  }

  private void closeWithBye(String text) {
    ImapResponse answers = response;
    if (answers != null) {
      answers.byeResponse(text);
    }
    close();
  }

  /** The state of one IMAP connection, as GreenMail's commands read and change it. */
  private final class Session implements ImapSession {
    private final String clientIp;
    private volatile ImapSessionState state = ImapSessionState.NON_AUTHENTICATED;
    private volatile GreenMailUser user;
    private volatile SelectedFolder selected;

    Session(String clientIp) {
      this.clientIp = clientIp;
    }

    @Override
    public void unsolicitedResponses(ImapResponse answers) throws FolderException {
      unsolicitedResponses(answers, false);
    }

    @Override
    public void unsolicitedResponses(ImapResponse answers, boolean omitExpunged) throws FolderException {
      SelectedFolder folder = selected;
      if (folder == null) {
        return;
      }
      if (folder.isSizeChanged()) {
        answers.existsResponse(folder.getMessageCount());
        answers.recentResponse(folder.getRecentCount(true));
        folder.setSizeChanged(false);
      }
      for (FlagChange change : folder.takeFlagChanges()) {
        answers.fetchResponse(change.msn(), "FLAGS " + MessageFlags.format(change.flags())
            + (change.uid() == null ? "" : " UID " + change.uid()));
      }
      if (!omitExpunged) {
        for (int msn : folder.getExpunged()) {
          answers.expungeResponse(msn);
        }
      }
    }

    @Override
    public void closeConnection() {
      close();
    }

    @Override
    public void closeConnection(String byeMessage) {
      closeWithBye(byeMessage);
    }

    @Override
    public ImapHostManager getHost() {
      return hosts;
    }

    @Override
    public UserManager getUserManager() {
      return users;
    }

    @Override
    public String getClientIP() {
      return clientIp;
    }

    @Override
    public ImapSessionState getState() {
      return state;
    }

    @Override
    public void setAuthenticated(GreenMailUser user) {
      this.user = user;
      state = ImapSessionState.AUTHENTICATED;
    }

    @Override
    public GreenMailUser getUser() {
      return user;
    }

    @Override
    public void setSelected(MailFolder folder, boolean readOnly) {
      SelectedFolder before = selected;
      if (before != null) {
        before.deselect(); // GreenMail leaves the earlier one listening; a long session would pile them up
      }
      selected = new SelectedFolder(folder, this, readOnly);
      state = ImapSessionState.SELECTED;
    }

    @Override
    public void deselect() {
      SelectedFolder before = selected;
      selected = null;
      state = ImapSessionState.AUTHENTICATED;
      if (before != null) {
        before.deselect();
      }
    }

    @Override
    public ImapSessionFolder getSelected() {
      return selected;
    }
  }

  private record FlagChange(int msn, Long uid, Flags flags) {}

  /**
   * The selected folder: GreenMail's session view (expunges and arrivals to report), with sequence numbers from the
   * index and flag changes kept here, the latest per message.
   */
  private static final class SelectedFolder extends ImapSessionFolder {
    private final MailFolder folder;
    private final Map<Integer, FlagChange> flagChanges = new TreeMap<>();

    SelectedFolder(MailFolder folder, ImapSession session, boolean readOnly) {
      super(folder, session, readOnly);
      this.folder = folder;
    }

    @Override
    public int getMsn(long uid) throws FolderException {
      return folder instanceof IndexedFolder ? folder.getMsn(uid) : super.getMsn(uid);
    }

    @Override
    public void flagsUpdated(int msn, Flags flags, Long uid) {
      synchronized (flagChanges) {
        flagChanges.put(msn, new FlagChange(msn, uid, flags));
      }
    }

    List<FlagChange> takeFlagChanges() {
      synchronized (flagChanges) {
        List<FlagChange> changes = new ArrayList<>(flagChanges.values());
        flagChanges.clear();
        return changes;
      }
    }
  }
}
