package org.o365mail.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/**
 * What a protocol adds to the streams of the sockets {@link GuardedSockets} makes: how what the server sends is
 * bounded (its framing and limits), and how what the client writes is checked or given a deadline. Called once per
 * socket and stream: for a plain socket, and again for the TLS socket layered on it.
 *
 * <p>The input returned must not read ahead of what it is asked for (no buffering): once TLS is layered over a plain
 * socket, that socket's bytes (TLS records) are read past it, and the TLS socket's own input is guarded instead.
 * Implementations must be thread-safe; the streams they return belong to one socket.
 */
public interface StreamGuard {
  /** The stream the socket hands out for reading {@code in}, the socket's own input. */
  InputStream input(InputStream in) throws IOException;

  /**
   * The stream the socket hands out for writing to {@code out}, the socket's own output.
   *
   * @param socket the TCP socket under {@code out}: closing it ends a write blocked on it (for a TLS socket the
   *     plain socket it is layered on)
   */
  OutputStream output(OutputStream out, Socket socket) throws IOException;

  /** A guard that adds nothing: the sockets' own streams. */
  static StreamGuard none() {
    return NoGuard.INSTANCE;
  }
}
