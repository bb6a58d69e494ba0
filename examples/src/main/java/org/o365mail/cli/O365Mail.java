package org.o365mail.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.Callable;
import org.o365mail.cli.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code o365mail}: test, import from and send through Microsoft 365 mailboxes, and show the SDK on a local
 * tenant. Exit codes: 0 success, 1 warnings, 2 failures, 64 usage or configuration error, 70 internal error, 130 and
 * 143 stopped by SIGINT (Ctrl-C) and SIGTERM (the JVM's own, 128 + the signal; see {@link StopSignal}).
 */
@Command(
    name = "o365mail",
    mixinStandardHelpOptions = true,
    versionProvider = O365Mail.BuildVersion.class,
    description = "OAuth 2.0 access to Microsoft 365 mailboxes: diagnose, import, send.",
    subcommands = {
      DemoCommand.class,
      DoctorCommand.class,
      ImportCommand.class,
      SendCommand.class,
      SecretsCommand.class,
      SetupCommand.class,
      LoginCommand.class,
      TestkitCommand.class,
      CommandLine.HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:success",
      "1:warnings (doctor, secrets; import: a post-action waits)",
      "2:failures (import: also messages parked)",
      "64:usage or configuration error",
      "70:internal error",
      "130:stopped by Ctrl-C (SIGINT)",
      "143:stopped by SIGTERM"
    })
public final class O365Mail implements Callable<Integer> {
  public static final int OK = 0;
  public static final int WARNINGS = 1;
  public static final int FAILURES = 2;
  public static final int USAGE = 64;
  public static final int INTERNAL = 70;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return USAGE;
  }

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    int code;
    try {
      code = run(out, err, args);
    } finally {
      // autoflush covers println only: a command that ends with print (secrets' report) or writes through its own
      // writer would lose its last output to System.exit, which runs no flush
      out.flush();
      err.flush();
    }
    System.exit(code);
  }

  /** The version of this build, from the {@code version.properties} Maven filters at build time. */
  static final class BuildVersion implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return new String[] {"o365mail " + version()};
    }

    static String version() throws IOException {
      Properties p = new Properties();
      try (InputStream in = O365Mail.class.getResourceAsStream("version.properties")) {
        if (in == null) {
          throw new IOException("version.properties is missing from the build");
        }
        p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
      }
      return p.getProperty("version", "unknown");
    }
  }

  /** Runs the tool with these streams (for tests and embedding); returns the exit code. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new O365Mail());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExitCodeExceptionMapper(e -> e instanceof ConfigException ? USAGE : INTERNAL);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof ConfigException c) {
        commandLine.getErr().println(c.getMessage());
        return USAGE;
      }
      if (e instanceof StoreDatabase.Unreachable u) {
        commandLine.getErr().println("o365mail: " + u.getMessage());
        return FAILURES;
      }
      if (e.getCause() instanceof SQLException) {
        // a PostgreSQL store that failed during the work (the server went away, a statement timed out): like a
        // mail service that stops answering, a failure of the run, not of the tool; the checkpoint is consistent
        commandLine.getErr().println("o365mail: " + e.getMessage() + "; what was committed is kept: run again once"
            + " the database answers and accepts the work");
        return FAILURES;
      }
      commandLine.getErr().println("o365mail: " + e.getClass().getSimpleName() + ": " + e.getMessage());
      return INTERNAL;
    });
    cli.setParameterExceptionHandler((e, a) -> {
      e.getCommandLine().getErr().println(e.getMessage());
      e.getCommandLine().usage(e.getCommandLine().getErr());
      return USAGE;
    });
    try {
      return cli.execute(args);
    } finally {
      Credentials.closeDatabases(); // the pools of tokenStores in PostgreSQL, when a command used one
    }
  }
}
