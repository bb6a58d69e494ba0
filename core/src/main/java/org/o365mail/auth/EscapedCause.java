package org.o365mail.auth;

import org.o365mail.ServiceText;
/**
 * Stands in, as the cause of an SDK exception, for a library exception whose message holds a server's text with
 * line breaks: MSAL's {@code MsalServiceException} carries Entra ID's {@code error_description}, whose lines are
 * separated by CRLF. A cause's message is printed with every stack trace an application logs, so it would split the
 * log record (or let the server's text forge one). This keeps the original's class name, message (escaped by {@link
 * ServiceText#printable}) and stack trace; its own causes are treated the same way.
 */
final class EscapedCause extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private EscapedCause(String message, Throwable cause) {
    super(message, cause);
  }

  /** {@code t} itself when its message is already printable, else a stand-in with the message escaped. */
  static Throwable of(Throwable t) {
    String message = t.getMessage();
    Throwable cause = t.getCause() == null || t.getCause() == t ? null : of(t.getCause());
    if ((message == null || ServiceText.printable(message).equals(message)) && cause == t.getCause()) {
      return t;
    }
    EscapedCause stand = new EscapedCause(
        t.getClass().getName() + (message == null ? "" : ": " + ServiceText.printable(message)), cause);
    stand.setStackTrace(t.getStackTrace());
    return stand;
  }
}
