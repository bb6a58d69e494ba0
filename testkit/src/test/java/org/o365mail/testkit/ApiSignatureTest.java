package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;

/**
 * No exported signature of o365-mail-testkit shows a third-party type (the JDK's own types are fine), so the
 * libraries behind it can change without breaking its users.
 */
class ApiSignatureTest {

  private static final List<String> ALLOWED = List.of(
      "javax.annotation.", "org.o365mail.",
      // the documented exception: the JUnit 5 extension (LocalTenantExtension) shows JUnit's extension types
      "org.junit.jupiter.api.extension.");

  /**
   * Third-party types exported signatures show today, in classes owned by other work on issue 17. This list must be
   * empty: remove an entry with the leak.
   */
  private static final Set<String> KNOWN_LEAKS = Set.of(
      "jakarta.mail.internet.MimeMessage"); // Mailbox.deliver(MimeMessage)

  @Test
  void exportedSignaturesShowNoThirdPartyType() {
    SortedMap<String, SortedSet<String>> leaks =
        new TreeMap<>(ApiSurface.ofModuleOf(LocalTenant.class).typesOutside(ALLOWED));
    leaks.keySet().removeAll(KNOWN_LEAKS);
    assertThat(leaks)
        .as("third-party types in exported signatures, each with the lines showing it")
        .isEmpty();
  }
}
