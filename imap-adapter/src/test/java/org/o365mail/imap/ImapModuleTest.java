package org.o365mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The adapter's module descriptor: its one API package exported, Jakarta Mail and Angus read but not re-exported. */
class ImapModuleTest {
  private static ModuleDescriptor descriptor() throws Exception {
    Path classes = Path.of(ImapMailboxConnector.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return ModuleFinder.of(classes).find("org.o365mail.imap").orElseThrow().descriptor();
  }

  @Test
  void exportsOnlyTheApiPackage_unqualified_andOpensNothing() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.exports()).singleElement().satisfies(e -> {
      assertThat(e.source()).isEqualTo("org.o365mail.imap");
      assertThat(e.isQualified()).isFalse();
    });
    assertThat(d.opens()).isEmpty();
    assertThat(d.packages()).contains("org.o365mail.imap.internal");
  }

  @Test
  void onlyCoreIsRequiredTransitively() throws Exception {
    assertThat(descriptor().requires().stream()
            .filter(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE))
            .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
        .containsExactly("org.o365mail");
  }
}
