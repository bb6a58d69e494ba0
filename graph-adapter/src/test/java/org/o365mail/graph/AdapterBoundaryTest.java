package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.ApiSurface;
import org.o365mail.buildtools.ClassReferences;

/**
 * The adapter's compiled classes use core only through its API: no class of core's {@code org.o365mail.internal}
 * package, and nothing of the other adapter.
 */
class AdapterBoundaryTest {

  @Test
  void compiledClassesReferNeitherToCoreInternalsNorToTheOtherAdapter() {
    SortedSet<String> found = new TreeSet<>();
    ClassReferences.of(ApiSurface.classesDirectoryOf(GraphMailboxConnector.class),
            n -> n.startsWith("org.o365mail.internal.") || n.startsWith("org.o365mail.imap."))
        .forEach((from, refs) -> refs.forEach(to -> found.add(from + " -> " + to)));
    assertThat(found).as("references from the adapter to core's internals or to the other adapter").isEmpty();
  }
}
