package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The built jar names its module: without a {@code module-info} (Kiota's jars share one automatic module name, so
 * none can require Graph), {@code Automatic-Module-Name} is what keeps the name stable on the module path. Runs
 * after {@code package}, on the jar Failsafe is given.
 */
class GraphJarManifestIT {
  @Test
  void theJarsManifest_namesTheModuleOrgO365mailGraph() throws Exception {
    Path jar = Path.of(System.getProperty("o365mail.graph.jar", "missing: run with mvn verify"));
    assertThat(jar).as("the built jar").satisfies(p -> assertThat(Files.isRegularFile(p)).isTrue());
    try (JarFile file = new JarFile(jar.toFile())) {
      assertThat(file.getManifest().getMainAttributes().getValue("Automatic-Module-Name"))
          .isEqualTo("org.o365mail.graph");
    }
  }
}
