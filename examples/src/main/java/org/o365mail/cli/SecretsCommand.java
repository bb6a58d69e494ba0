package org.o365mail.cli;

import java.util.Optional;
import java.util.concurrent.Callable;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.expiry.ExpiryReport;
import org.o365mail.expiry.RegisteredCredentials;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.graph.GraphRegisteredCredentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code o365mail secrets}: the expiry report of a connection's secrets and certificates. */
@Command(name = "secrets", mixinStandardHelpOptions = true,
    description = "Report when the connection's client secrets and certificates expire.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:all OK", "1:a warning or an unknown end date", "2:critical or expired", "64:configuration error"})
final class SecretsCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ConfigOptions options;

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Override
  public Integer call() {
    ConnectionConfig c = options.load();
    try (CredentialStrategy strategy = Credentials.strategy(c, CredentialListener.NONE)) {
      Optional<GraphRegisteredCredentials> registered = Connectors.registeredCredentials(c, strategy);
      SecretExpiryTracker.Builder builder = SecretExpiryTracker.builder();
      registered.ifPresent(builder::registeredCredentials);
      Optional<String> skipped = Connectors.registrationSkipped(c, strategy);
      skipped.map(RegisteredCredentials::unavailable).ifPresent(builder::registeredCredentials);
      try (SecretExpiryTracker tracker = builder.build()) {
        tracker.track(strategy);
        ExpiryReport report = tracker.check();
        spec.commandLine().getOut().print(json ? report.toJson() + System.lineSeparator() : report.toText());
        // the note goes where it does not break the JSON on stdout
        skipped.ifPresent(why -> (json ? spec.commandLine().getErr() : spec.commandLine().getOut())
            .println("Note: " + why));
        return switch (report.overall()) {
          case OK -> O365Mail.OK;
          case UNKNOWN, WARNING -> O365Mail.WARNINGS;
          case CRITICAL, EXPIRED, INVALID -> O365Mail.FAILURES;
        };
      } finally {
        registered.ifPresent(GraphRegisteredCredentials::close);
      }
    }
  }
}
