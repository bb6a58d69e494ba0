package org.o365mail.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.o365mail.cli.config.ConfigFile;
import org.o365mail.cli.config.ConnectionConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The options every command that reads a configuration file has. */
final class ConfigOptions {
  @Option(names = {"-c", "--config"}, required = true, description = "the configuration file (properties)")
  Path config;

  @Option(names = "--connection", description = "which connection of the file (needed when it has several)")
  String connection;

  @Spec(Spec.Target.MIXEE) CommandSpec command;

  private ConfigFile file;

  /**
   * The chosen connection of the validated file; its warnings (a secret file others can read, refresh tokens stored
   * unencrypted, a mailbox another connection imports too) go to standard error, one line each.
   *
   * @throws org.o365mail.cli.config.ConfigException naming every problem's key (exit code 64)
   */
  ConnectionConfig load() {
    file = ConfigFile.load(config);
    ConnectionConfig c = file.connection(connection);
    PrintWriter err = command.commandLine().getErr();
    c.warnings().forEach(w -> err.println("o365mail: warning: " + w));
    err.flush();
    return c;
  }

  /** The whole file {@link #load()} read (every connection), for commands that look beyond the chosen one. */
  ConfigFile file() {
    if (file == null) {
      throw new IllegalStateException("load() first");
    }
    return file;
  }
}
