package org.o365mail.imap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A mail server on loopback that misbehaves as scripted: says nothing, answers without end, announces literals it
 * never sends, trickles. Each connection runs the script on a thread of its own; the number of connections tells
 * whether the client tried again. Closing hangs up on every client.
 */
final class HostileServer implements AutoCloseable {
  /** What the server does on one connection. */
  @FunctionalInterface
  interface Script {
    void serve(Wire wire) throws IOException, InterruptedException;
  }

  /** An IMAP command's answer: whatever the server writes (or does not) for the command with {@code tag}. */
  @FunctionalInterface
  interface Answer {
    void answer(Wire wire, String tag) throws IOException, InterruptedException;
  }

  /** One connection. */
  static final class Wire {
    private final CountDownLatch closed;
    private Socket socket;
    private InputStream in;
    private OutputStream out;

    Wire(Socket socket, CountDownLatch closed) throws IOException {
      this.closed = closed;
      use(socket);
    }

    private void use(Socket s) throws IOException {
      socket = s;
      in = s.getInputStream();
      out = s.getOutputStream();
    }

    /** The next line from the client without its line end, or null when it hung up. */
    String readLine() throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int c;
      while ((c = in.read()) != -1 && c != '\n') {
        if (c != '\r') {
          line.write(c);
        }
      }
      return c == -1 && line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
    }

    void line(String text) throws IOException {
      raw(text + "\r\n");
    }

    void raw(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    void raw(byte[] bytes) throws IOException {
      out.write(bytes);
      out.flush();
    }

    /** Says nothing more, until the client hangs up. */
    void silence() throws IOException {
      while (in.read() != -1) {
        // whatever the client says goes unanswered
      }
    }

    /** Neither reads nor writes any more, until the server closes: the client's writes fill the TCP window. */
    void stall() throws InterruptedException {
      closed.await();
    }

    /** Writes {@code chunk} again and again until the client hangs up. */
    void endless(byte[] chunk) {
      try {
        while (true) {
          out.write(chunk);
        }
      } catch (IOException e) {
        // the client gave up: what it was meant to do
      }
    }

    /** One byte every {@code millis} ms, until the client hangs up. */
    void trickle(byte b, long millis) throws InterruptedException {
      try {
        while (true) {
          out.write(b);
          out.flush();
          Thread.sleep(millis); // a real peer, trickling in real time
        }
      } catch (IOException e) {
        // the client gave up
      }
    }

    /** Turns this connection into TLS, as the server side (STARTTLS). */
    void startTls(SSLContext tls) throws IOException {
      SSLSocket s = (SSLSocket) tls.getSocketFactory().createSocket(socket, null, socket.getPort(), true);
      s.setUseClientMode(false);
      s.startHandshake();
      use(s);
    }
  }

  private final ServerSocket listener;
  private final AtomicInteger connections = new AtomicInteger();
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();
  private final List<Throwable> failures = new CopyOnWriteArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);

  /** A plain server; with {@code tls}, every connection is TLS from its first byte (IMAP 993). */
  HostileServer(SSLContext tls, Script script) throws IOException {
    listener = tls == null ? new ServerSocket(0, 10, InetAddress.getLoopbackAddress())
        : tls.getServerSocketFactory().createServerSocket(0, 10, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> accept(script), "hostile-server-" + listener.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  HostileServer(Script script) throws IOException {
    this(null, script);
  }

  private void accept(Script script) {
    while (!listener.isClosed()) {
      Socket s;
      try {
        s = listener.accept();
      } catch (IOException e) {
        return;
      }
      connections.incrementAndGet();
      accepted.add(s);
      Thread t = new Thread(() -> {
        try (s) {
          script.serve(new Wire(s, closed));
        } catch (IOException e) {
          // the client hung up
        } catch (InterruptedException | RuntimeException e) {
          failures.add(e);
        }
      }, "hostile-connection");
      t.setDaemon(true);
      t.start();
    }
  }

  int port() {
    return listener.getLocalPort();
  }

  /** "127.0.0.1:port", as messages name the server. */
  String where() {
    return "127.0.0.1:" + port();
  }

  /** Connections accepted so far. */
  int connections() {
    return connections.get();
  }

  @Override
  public void close() throws IOException {
    closed.countDown();
    listener.close();
    for (Socket s : accepted) {
      s.close();
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("the hostile script itself failed", failures.get(0));
    }
  }

  /**
   * An IMAP server that greets, offers {@code capabilities}, takes any XOAUTH2 login, has an INBOX (UIDVALIDITY 7,
   * messages 1 to 3) and answers every other command {@code OK}, except those named in {@code hostile} (by command,
   * {@code "UID FETCH"}, {@code "AUTHENTICATE"}, or {@code "GREETING"} for what it says first).
   */
  static Script imap(String capabilities, Map<String, Answer> hostile) {
    return wire -> {
      if (hostile.containsKey("GREETING")) {
        hostile.get("GREETING").answer(wire, "*");
      } else {
        wire.line("* OK hostile server ready");
      }
      String line;
      while ((line = wire.readLine()) != null) {
        String[] words = line.split(" ", 4);
        String tag = words[0];
        String command = words.length > 1 ? words[1].toUpperCase(Locale.ROOT) : "";
        if (command.equals("UID") && words.length > 2) {
          command = "UID " + words[2].toUpperCase(Locale.ROOT);
        }
        if (hostile.containsKey(command)) {
          hostile.get(command).answer(wire, tag);
          continue;
        }
        switch (command) {
          case "CAPABILITY" -> wire.line("* CAPABILITY " + capabilities);
          case "LIST" -> wire.line("* LIST (\\HasNoChildren) \"/\" INBOX");
          case "SELECT", "EXAMINE" -> {
            wire.line("* 3 EXISTS");
            wire.line("* OK [UIDVALIDITY 7] UIDs valid");
            wire.line("* OK [UIDNEXT 4] next");
          }
          case "UID SEARCH" -> wire.line("* SEARCH 1 2 3");
          case "LOGOUT" -> {
            wire.line("* BYE bye");
            wire.line(tag + " OK LOGOUT completed.");
            return;
          }
          default -> {
            // every other command succeeds without a word
          }
        }
        wire.line(tag + " OK " + command + " completed.");
      }
    };
  }

  /** The capabilities of a server that can be logged in to: XOAUTH2 with the initial response on the line. */
  static final String XOAUTH2 = "IMAP4rev1 AUTH=XOAUTH2 SASL-IR";
}
