package org.o365mail.cli.config;

import java.nio.file.Path;
import java.util.List;

/** The configuration is invalid; {@link #problems()} lists each problem, naming its key and what is allowed. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  public ConfigException(Path source, List<String> problems) {
    super((source == null ? "configuration" : source.toString()) + ": " + problems.size() + " problem"
        + (problems.size() == 1 ? "" : "s") + ":\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
