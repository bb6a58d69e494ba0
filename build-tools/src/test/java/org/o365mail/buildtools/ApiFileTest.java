package org.o365mail.buildtools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.buildtools.fixture.Sample;

class ApiFileTest {

  @TempDir Path dir;

  private final ApiSurface surface =
      ApiSurface.of(ApiSurface.classesDirectoryOf(Sample.class), getClass().getClassLoader());

  @Test
  void diffMarksRemovedAndAddedLinesInOrder() {
    assertThat(ApiFile.diff(List.of("a", "b", "c"), List.of("a", "c", "d")))
        .containsExactly("- b", "+ d");
    assertThat(ApiFile.diff(List.of("a"), List.of("a"))).isEmpty();
  }

  @Test
  void failsOnADifferenceWithTheDiffAndTheUpdateCommand() throws Exception {
    Path file = dir.resolve("api").resolve("x.api");
    Files.createDirectories(file.getParent());
    Files.writeString(file, surface.text().replace("  protected void hook()\n", "") + "gone\n");

    assertThatThrownBy(() -> ApiFile.check(surface, file, "mvn -o -pl x test -Dapi.update=true"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("api/x.api")
        .hasMessageContaining("\n+   protected void hook()")
        .hasMessageContaining("\n- gone")
        .hasMessageEndingWith("\n  mvn -o -pl x test -Dapi.update=true");
  }

  @Test
  void passesWhenTheFileMatchesAndRewritesItOnRequest() throws Exception {
    Path file = dir.resolve("api").resolve("x.api");
    System.setProperty(ApiFile.UPDATE_PROPERTY, "true");
    try {
      ApiFile.check(surface, file, "unused");
    } finally {
      System.clearProperty(ApiFile.UPDATE_PROPERTY);
    }
    assertThat(Files.readString(file)).isEqualTo(surface.text());
    ApiFile.check(surface, file, "unused");
  }

  @Test
  void fileLiesInTheModulesApiDirectory() {
    Path classes = dir.resolve("core").resolve("target").resolve("classes");
    assertThat(ApiFile.of(classes, "o365-mail-core"))
        .isEqualTo(dir.resolve("core").resolve("api").resolve("o365-mail-core.api").toAbsolutePath());
  }
}
