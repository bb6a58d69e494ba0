package org.o365mail.testkit;

import com.icegreen.greenmail.Managers;
import com.icegreen.greenmail.server.AbstractServer;
import com.icegreen.greenmail.server.ProtocolHandler;
import com.icegreen.greenmail.util.ServerSetup;
import java.net.Socket;
import java.net.SocketException;

/**
 * GreenMail's IMAP server as the mailbox store's backend, its connections run by {@link BackendImapHandler}, with
 * Nagle's algorithm off on them. GreenMail writes a response in several flushes (untagged lines, then the tagged
 * one); with Nagle on, each flush after the first waits for the front's delayed ACK, about 40 ms a command on Linux,
 * which made every IMAP command through the front cost that much however little work it was.
 */
final class BackendImapServer extends AbstractServer {
  BackendImapServer(ServerSetup setup, Managers managers) {
    super(setup, managers);
  }

  @Override
  protected ProtocolHandler createProtocolHandler(Socket clientSocket) {
    return new BackendImapHandler(managers.getUserManager(), managers.getImapHostManager(), clientSocket);
  }

  @Override
  protected void handleClientSocket(Socket clientSocket) throws SocketException {
    clientSocket.setTcpNoDelay(true);
    super.handleClientSocket(clientSocket);
  }
}
