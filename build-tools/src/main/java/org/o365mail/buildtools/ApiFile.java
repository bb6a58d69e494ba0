package org.o365mail.buildtools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The committed description of a module's exported API, {@code <module>/api/<artifactId>.api}, and the check that
 * the compiled module still matches it. With the system property {@code api.update=true} the check rewrites the
 * file instead, so an intended change of the API is made by one command and reviewed as a change of that file.
 *
 * <p>Stateless; the methods are thread-safe as far as the file system is.
 */
public final class ApiFile {

  /** The system property that makes {@link #check} rewrite the file instead of comparing. */
  public static final String UPDATE_PROPERTY = "api.update";

  private ApiFile() {}

  /**
   * The {@code api/<artifactId>.api} file of the module whose classes directory is {@code classesDir} (its {@code
   * target/classes}).
   */
  public static Path of(Path classesDir, String artifactId) {
    Path moduleDir = classesDir.toAbsolutePath().getParent().getParent();
    return moduleDir.resolve("api").resolve(artifactId + ".api");
  }

  /**
   * Compares {@code surface} with {@code file}, or writes it there when {@value #UPDATE_PROPERTY} is {@code true}.
   *
   * @param updateCommand the command that rewrites the file, quoted in the failure
   * @throws AssertionError listing the lines removed ({@code -}) and added ({@code +}) if they differ
   */
  public static void check(ApiSurface surface, Path file, String updateCommand) {
    if (Boolean.parseBoolean(System.getProperty(UPDATE_PROPERTY))) {
      try {
        Files.createDirectories(file.getParent());
        Files.writeString(file, surface.text(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return;
    }
    List<String> expected;
    try {
      expected = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> diff = diff(expected, surface.lines());
    if (!diff.isEmpty()) {
      throw new AssertionError("The exported API differs from " + file.getParent().getFileName() + "/"
          + file.getFileName() + (Files.exists(file) ? "" : " (missing)") + ":\n" + String.join("\n", diff)
          + "\n\nIf the change is intended, rewrite the file and commit it with the change:\n  " + updateCommand);
    }
  }

  /**
   * The lines only in {@code expected} (prefixed {@code "- "}) and only in {@code actual} ({@code "+ "}), in file
   * order, along a longest common subsequence; empty if the two are equal.
   */
  public static List<String> diff(List<String> expected, List<String> actual) {
    int n = expected.size();
    int m = actual.size();
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] = expected.get(i).equals(actual.get(j)) ? lcs[i + 1][j + 1] + 1
            : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    List<String> out = new ArrayList<>();
    int i = 0;
    int j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && expected.get(i).equals(actual.get(j))) {
        i++;
        j++;
      } else if (j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j])) {
        out.add("+ " + actual.get(j++));
      } else {
        out.add("- " + expected.get(i++));
      }
    }
    return out;
  }
}
