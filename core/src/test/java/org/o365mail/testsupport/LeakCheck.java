package org.o365mail.testsupport;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** After a test class: no captured log line may hold a secret, password or token. */
public final class LeakCheck implements AfterAllCallback {
  @Override
  public void afterAll(ExtensionContext context) {
    Secrets.assertLogsClean();
  }
}
