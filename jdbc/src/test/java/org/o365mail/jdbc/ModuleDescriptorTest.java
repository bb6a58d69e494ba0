package org.o365mail.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The module exports its one package and needs java.sql and core, not the PostgreSQL driver (run time only). */
class ModuleDescriptorTest {
  @Test
  void exportsOnlyItsPackage_andRequiresNoDriver() throws Exception {
    Path classes = Path.of(PostgresCheckpointStore.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor d = ModuleFinder.of(classes).find("org.o365mail.jdbc").orElseThrow().descriptor();
    assertThat(d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
        .isEqualTo(Set.of("org.o365mail.jdbc"));
    assertThat(d.exports()).noneMatch(ModuleDescriptor.Exports::isQualified);
    assertThat(d.requires().stream().map(ModuleDescriptor.Requires::name).collect(Collectors.toSet()))
        .isEqualTo(Set.of("java.base", "java.sql", "org.o365mail", "org.slf4j"));
  }
}
