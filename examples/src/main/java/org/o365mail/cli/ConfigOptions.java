package org.o365mail.cli;

import java.nio.file.Path;
import org.o365mail.cli.config.ConfigFile;
import org.o365mail.cli.config.ConnectionConfig;
import picocli.CommandLine.Option;

/** The options every command that reads a configuration file has. */
final class ConfigOptions {
  @Option(names = {"-c", "--config"}, required = true, description = "the configuration file (properties)")
  Path config;

  @Option(names = "--connection", description = "which connection of the file (needed when it has several)")
  String connection;

  ConnectionConfig load() {
    return ConfigFile.load(config).connection(connection);
  }
}
