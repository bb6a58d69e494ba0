package org.o365mail.buildtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SortedMap;
import java.util.SortedSet;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.fixture.Sample;

class ClassReferencesTest {

  @Test
  void findsAClassUsedOnlyInsideAMethodBody() {
    SortedMap<String, SortedSet<String>> refs = ClassReferences.of(ApiSurface.classesDirectoryOf(Sample.class),
        n -> n.startsWith("org.o365mail.buildtools.fixture.internal."));
    assertThat(refs).containsOnlyKeys("org.o365mail.buildtools.fixture.Sample",
        "org.o365mail.buildtools.fixture.Leaky");
    assertThat(refs.get("org.o365mail.buildtools.fixture.Sample"))
        .containsExactly("org.o365mail.buildtools.fixture.internal.Hidden");
  }

  @Test
  void findsTypesOfDescriptorsAndLeavesOutTheClassItself() {
    SortedMap<String, SortedSet<String>> refs = ClassReferences.of(ApiSurface.classesDirectoryOf(Sample.class),
        n -> n.startsWith("java.") || n.startsWith("org.o365mail.buildtools.fixture."));
    assertThat(refs.get("org.o365mail.buildtools.fixture.Sample"))
        .contains("java.util.List", "java.io.IOException", "java.lang.String")
        .doesNotContain("org.o365mail.buildtools.fixture.Sample");
  }
}
