package org.o365mail.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The metrics module exports its one package and needs core and micrometer-core only, never an adapter. */
class ModuleDescriptorTest {
  @Test
  void exportsOnlyTheMetrics_andRequiresCoreAndMicrometerCoreOnly() throws Exception {
    Path classes = Path.of(O365MailMetrics.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor d = ModuleFinder.of(classes).find("org.o365mail.micrometer").orElseThrow().descriptor();
    assertThat(d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
        .isEqualTo(Set.of("org.o365mail.micrometer"));
    assertThat(d.exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
    assertThat(d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
        .isEqualTo(Set.of("java.base", "org.o365mail", "micrometer.core"));
  }
}
