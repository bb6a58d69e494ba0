package org.o365mail.net;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;

/** {@link StreamGuard#none()}. Stateless and thread-safe. */
enum NoGuard implements StreamGuard {
  INSTANCE;

  @Override
  public InputStream input(InputStream in) {
    return in;
  }

  @Override
  public OutputStream output(OutputStream out, Socket socket) {
    return out;
  }
}
