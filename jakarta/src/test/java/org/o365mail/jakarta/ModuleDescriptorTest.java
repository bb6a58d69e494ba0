package org.o365mail.jakarta;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The bridge's module exports its one package and needs core and the Jakarta Mail API only: not Angus Mail (found
 * at run time as Jakarta Mail's provider), and neither adapter.
 */
class ModuleDescriptorTest {
  @Test
  void exportsOnlyTheBridge_andRequiresCoreAndJakartaMailOnly() throws Exception {
    Path classes = Path.of(JakartaMailSessions.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor d = ModuleFinder.of(classes).find("org.o365mail.jakarta").orElseThrow().descriptor();
    assertThat(d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
        .isEqualTo(Set.of("org.o365mail.jakarta"));
    assertThat(d.exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
    assertThat(d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
        .isEqualTo(Set.of("java.base", "org.o365mail", "jakarta.mail"));
  }
}
