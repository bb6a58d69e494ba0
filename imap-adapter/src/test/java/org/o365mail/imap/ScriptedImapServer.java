package org.o365mail.imap;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An IMAP server on a plain port for the protocol edges the testkit does not offer (no XOAUTH2, no STARTTLS, no
 * IDLE): a greeting, the given capabilities, scripted untagged answers per command with {@code OK}, and {@code BAD}
 * to anything unscripted. Records every line it receives. One connection.
 */
final class ScriptedImapServer implements AutoCloseable {
  private final ServerSocket listener;
  private final List<String> received = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> done;

  /**
   * @param capabilities the CAPABILITY line's content
   * @param answers untagged lines to send before {@code OK}, by command name ({@code SELECT}); commands not named
   *     here (other than CAPABILITY, NOOP and LOGOUT) get {@code BAD}
   */
  ScriptedImapServer(String capabilities, Map<String, List<String>> answers) throws IOException {
    listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
    done = CompletableFuture.runAsync(() -> serve(capabilities, answers));
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Every line received, once the client has hung up. */
  List<String> received() throws Exception {
    done.get(10, TimeUnit.SECONDS);
    return List.copyOf(received);
  }

  private void serve(String capabilities, Map<String, List<String>> answers) {
    try (Socket s = listener.accept()) {
      s.setSoTimeout(10_000);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      write(out, "* OK scripted server ready");
      String line;
      while ((line = in.readLine()) != null) {
        received.add(line);
        String[] words = line.split(" ", 3);
        String tag = words[0];
        String command = words.length > 1 ? words[1].toUpperCase(Locale.ROOT) : "";
        if (command.equals("UID") && words.length > 2) {
          command = "UID " + words[2].split(" ", 2)[0].toUpperCase(Locale.ROOT);
        }
        if (command.equals("CAPABILITY")) {
          write(out, "* CAPABILITY " + capabilities);
          write(out, tag + " OK CAPABILITY completed.");
        } else if (command.equals("NOOP")) {
          write(out, tag + " OK NOOP completed.");
        } else if (command.equals("LOGOUT")) {
          write(out, "* BYE bye");
          write(out, tag + " OK LOGOUT completed.");
          return;
        } else if (answers.containsKey(command)) {
          for (String untagged : answers.get(command)) {
            write(out, untagged);
          }
          write(out, tag + " OK " + command + " completed.");
        } else {
          write(out, tag + " BAD Command received in Invalid state.");
        }
      }
    } catch (IOException e) {
      // the client hung up: what it sent is recorded
    }
  }

  private static void write(OutputStream out, String line) throws IOException {
    out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Override
  public void close() throws IOException {
    listener.close();
  }
}
