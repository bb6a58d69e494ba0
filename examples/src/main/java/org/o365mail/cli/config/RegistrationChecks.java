package org.o365mail.cli.config;

import java.util.List;
import java.util.regex.Pattern;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.Cloud;

/**
 * Checks of a connection's app registration made while the configuration is read, so that what the SDK would
 * refuse later is a problem naming its key (exit code 64) instead.
 *
 * <p>Stateless and thread-safe.
 */
final class RegistrationChecks {
  static final Pattern GUID =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private RegistrationChecks() {}

  /**
   * What {@link AppRegistration.Builder#build()} would refuse when the first command builds a credential, found
   * now: with the key named and exit code 64 instead of an internal error later.
   */
  static void checkRegistration(String name, String clientId, String tenant, AccountTypes accountTypes, Cloud cloud,
      List<String> problems) {
    if (clientId == null || !GUID.matcher(clientId).matches()) {
      return; // named above
    }
    AppRegistration.Builder b = AppRegistration.builder().accountTypes(accountTypes).cloud(cloud);
    try {
      b.clientId(clientId);
    } catch (IllegalArgumentException e) {
      problems.add(name + ".clientId: " + ConfigText.message(e.getMessage()));
      return;
    }
    if (tenant != null) {
      try {
        b.tenant(tenant);
      } catch (IllegalArgumentException e) {
        problems.add(name + ".tenant: " + ConfigText.message(e.getMessage()));
        return;
      }
    } else if (accountTypes == AccountTypes.SINGLE_TENANT) {
      return; // "<name>.tenant is required" is said above
    }
    try {
      b.build();
    } catch (IllegalStateException e) {
      problems.add(name + ".accountTypes " + accountTypes + ": " + e.getMessage());
    }
  }
}
