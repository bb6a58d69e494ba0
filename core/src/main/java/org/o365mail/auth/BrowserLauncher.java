package org.o365mail.auth;

import java.awt.Desktop;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;

/** Opens the sign-in page of an interactive sign-in. */
@FunctionalInterface
public interface BrowserLauncher {
  /** Shows {@code uri} to the user. */
  void open(URI uri) throws IOException;

  /** The system browser when this JVM has a desktop; otherwise the URL is printed to standard output. */
  static BrowserLauncher system() {
    return uri -> {
      if (!java.awt.GraphicsEnvironment.isHeadless() && Desktop.isDesktopSupported()
          && Desktop.getDesktop().isSupported(Desktop.Action.BROWSE)) {
        Desktop.getDesktop().browse(uri);
      } else {
        printTo(System.out).open(uri);
      }
    };
  }

  /** Prints the URL and asks the user to open it. */
  static BrowserLauncher printTo(PrintStream out) {
    return uri -> {
      out.println("To sign in, open this address in a browser on this machine:");
      out.println(uri);
      out.flush();
    };
  }
}
