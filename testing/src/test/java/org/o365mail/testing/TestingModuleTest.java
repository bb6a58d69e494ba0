package org.o365mail.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The testing module's descriptor: one exported package, opened to JUnit only, core and JUnit's API re-exported. */
class TestingModuleTest {
  private static ModuleDescriptor descriptor() throws Exception {
    Path classes = Path.of(InMemoryMailboxConnector.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return ModuleFinder.of(classes).find("org.o365mail.testing").orElseThrow().descriptor();
  }

  @Test
  void exportsOnlyItsOnePackage_unqualified() throws Exception {
    ModuleDescriptor d = descriptor();
    assertThat(d.exports()).singleElement().satisfies(e -> {
      assertThat(e.source()).isEqualTo("org.o365mail.testing");
      assertThat(e.isQualified()).isFalse();
    });
    assertThat(d.opens()).singleElement().satisfies(o -> assertThat(o.targets())
        .containsExactly("org.junit.platform.commons"));
  }

  @Test
  void requiresCoreAndJUnitsApiTransitively_andNothingElseOfOurs() throws Exception {
    assertThat(descriptor().requires().stream()
            .filter(r -> r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE))
            .map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("org.o365mail", "org.junit.jupiter.api");
    assertThat(descriptor().requires()).extracting(ModuleDescriptor.Requires::name)
        .filteredOn(n -> n.startsWith("org.o365mail")).containsExactly("org.o365mail");
  }
}
