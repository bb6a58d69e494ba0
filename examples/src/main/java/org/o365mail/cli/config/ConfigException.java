package org.o365mail.cli.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The configuration is invalid; {@link #problems()} lists each problem, naming its key and what is allowed. At
 * most {@value #SHOWN} problems are kept, then one line says how many more there are, so a file of a million
 * mistakes still gives a short answer.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** How many problems are listed. */
  static final int SHOWN = 20;

  private final String[] problems; // an array: a List field is not Serializable to javac's lint

  public ConfigException(Path source, List<String> problems) {
    this(source, capped(problems), problems.size());
  }

  private ConfigException(Path source, List<String> shown, int total) {
    super((source == null ? "configuration" : source.toString()) + ": " + total + " problem"
        + (total == 1 ? "" : "s") + ":\n  - " + String.join("\n  - ", shown));
    this.problems = shown.toArray(new String[0]);
  }

  private static List<String> capped(List<String> problems) {
    if (problems.size() <= SHOWN) {
      return List.copyOf(problems);
    }
    List<String> shown = new ArrayList<>(problems.subList(0, SHOWN));
    shown.add("... and " + (problems.size() - SHOWN) + " more problems");
    return List.copyOf(shown);
  }

  /** The problems, at most {@value #SHOWN} and a last line counting the others. */
  public List<String> problems() {
    return List.of(problems);
  }
}
