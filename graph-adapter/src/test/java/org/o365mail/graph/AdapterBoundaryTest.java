package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
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

  /**
   * References that are there today, {@code "referencing class -> referenced class"}, while the adapter is being
   * moved off core's internals (issue 17). This list must be empty: remove each entry with its reference.
   */
  private static final Set<String> KNOWN_OFFENDERS = Set.of(
      "org.o365mail.graph.GraphDoctorProbe$Look -> org.o365mail.internal.ServiceText",
      "org.o365mail.graph.GraphMailboxConnector -> org.o365mail.internal.Futures",
      "org.o365mail.graph.GraphMailboxConnector$Builder -> org.o365mail.internal.Arguments",
      "org.o365mail.graph.internal.DeltaSync -> org.o365mail.internal.ServiceText",
      "org.o365mail.graph.internal.Governor -> org.o365mail.internal.ServiceText",
      "org.o365mail.graph.internal.GraphErrors -> org.o365mail.internal.TlsFailures",
      "org.o365mail.graph.internal.GraphErrors -> org.o365mail.internal.TlsFailures$Refusal",
      "org.o365mail.graph.internal.SizeExpansion -> org.o365mail.internal.ServiceText");

  @Test
  void compiledClassesReferNeitherToCoreInternalsNorToTheOtherAdapter() {
    SortedSet<String> found = new TreeSet<>();
    ClassReferences.of(ApiSurface.classesDirectoryOf(GraphMailboxConnector.class),
            n -> n.startsWith("org.o365mail.internal.") || n.startsWith("org.o365mail.imap."))
        .forEach((from, refs) -> refs.forEach(to -> found.add(from + " -> " + to)));
    found.removeAll(KNOWN_OFFENDERS);
    assertThat(found).as("references from the adapter to core's internals or to the other adapter").isEmpty();
  }
}
