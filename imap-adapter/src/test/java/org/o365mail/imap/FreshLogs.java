package org.o365mail.imap;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.o365mail.testsupport.CapturingLoggerProvider;
import org.o365mail.testsupport.Secrets;

/**
 * Before a test class: checks what the log capture holds for secrets, then empties it. The capture keeps at most
 * 500,000 lines and GreenMail logs every protocol line at DEBUG, so without this the classes run last in the module
 * would be leak-checked against a full capture that no longer records them.
 */
public final class FreshLogs implements BeforeAllCallback {
  @Override
  public void beforeAll(ExtensionContext context) {
    Secrets.assertLogsClean();
    CapturingLoggerProvider.clear();
  }
}
