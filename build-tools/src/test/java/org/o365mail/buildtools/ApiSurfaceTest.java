package org.o365mail.buildtools;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.buildtools.fixture.Sample;

class ApiSurfaceTest {

  private final Path testClasses = ApiSurface.classesDirectoryOf(Sample.class);

  private List<String> fixtureLines() {
    List<String> all = ApiSurface.of(testClasses, getClass().getClassLoader()).lines();
    int from = all.indexOf(all.stream().filter(l -> l.contains("class org.o365mail.buildtools.fixture.Leaky"))
        .findFirst().orElseThrow());
    return all.subList(from, all.size());
  }

  @Test
  void listsPublicAndProtectedMembersWithGenericSignaturesAndDocumentedAnnotations() {
    assertThat(fixtureLines()).containsExactly(
        "public final class org.o365mail.buildtools.fixture.Leaky",
        "  public static org.o365mail.buildtools.fixture.internal.Hidden hidden()",
        "  public static void key(javax.crypto.SecretKey)",
        "public class org.o365mail.buildtools.fixture.Sample<T extends java.lang.Comparable<T>>"
            + " implements java.lang.Comparable<org.o365mail.buildtools.fixture.Sample<T>>",
        "  @java.lang.Deprecated(forRemoval=false, since=\"0.1\") public void old()",
        "  protected void hook()",
        "  public <R> java.util.List<R> map(java.util.List<? super T>, java.lang.String...)"
            + " throws java.io.IOException",
        "  public Sample()",
        "  public int compareTo(org.o365mail.buildtools.fixture.Sample<T>)",
        "  public java.lang.String useHidden()",
        "  public static final int LIMIT",
        "public static final class org.o365mail.buildtools.fixture.Sample$Builder",
        "  public org.o365mail.buildtools.fixture.Sample<java.lang.String> build()");
  }

  @Test
  void leavesOutInternalPackagesAndTheTestSupportPackage() {
    assertThat(ApiSurface.of(testClasses, getClass().getClassLoader()).lines())
        .noneMatch(l -> l.contains("class org.o365mail.buildtools.fixture.internal.Hidden"));
    assertThat(ApiSurface.isExported("org.o365mail.internal")).isFalse();
    assertThat(ApiSurface.isExported("org.o365mail.imap.internal.xoauth")).isFalse();
    assertThat(ApiSurface.isExported("org.o365mail.testsupport")).isFalse();
    assertThat(ApiSurface.isExported("org.o365mail.internalized")).isTrue();
    assertThat(ApiSurface.isExported("org.o365mail.doctor")).isTrue();
  }

  @Test
  void isTheSameTextOnEveryRun() {
    String first = ApiSurface.of(testClasses, getClass().getClassLoader()).text();
    String second = ApiSurface.of(testClasses, new ClassLoaderCopy(getClass().getClassLoader())).text();
    assertThat(second).isEqualTo(first);
  }

  @Test
  void typesOutsideNamesEachForeignTypeWithTheLinesShowingItAndLeavesOutTheJdk() {
    ApiSurface surface = ApiSurface.of(testClasses, getClass().getClassLoader());
    assertThat(surface.typesUsed()).containsKeys("javax.crypto.SecretKey", "java.lang.String");
    assertThat(surface.typesOutside(List.of("org.o365mail.buildtools."))).isEmpty();
    assertThat(surface.typesOutside(List.of("org.o365mail.buildtools.fixture.Sample")))
        .containsOnlyKeys("org.o365mail.buildtools.fixture.internal.Hidden")
        .hasEntrySatisfying("org.o365mail.buildtools.fixture.internal.Hidden", lines -> assertThat(lines)
            .containsExactly("public static org.o365mail.buildtools.fixture.internal.Hidden hidden()"));
  }
}
