package org.o365mail.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.o365mail.Diagnosis;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.doctor.ConnectionDoctor;
import org.o365mail.doctor.DoctorCheck;
import org.o365mail.doctor.DoctorReport;
import org.o365mail.expiry.RegisteredCredentials;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.graph.GraphRegisteredCredentials;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code o365mail doctor}: test one configured connection step by step. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Test a connection: configuration, authority, token, claims, mailbox, folder, one header, secret"
        + " expiry. A failure names the setup step and its fix.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:every check passed", "1:warnings", "2:a check failed", "64:the configuration is invalid"})
final class DoctorCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ConfigOptions options;

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Override
  public Integer call() {
    ConnectionConfig c;
    try {
      c = options.load();
    } catch (org.o365mail.cli.config.ConfigException e) {
      if (json) {
        Json.Array problems = Json.array();
        e.problems().forEach(problems::add);
        spec.commandLine().getOut().println(Json.object().put("config", "FAIL").put("problems", problems));
      } else {
        spec.commandLine().getOut().println("FAIL  configuration valid");
        e.problems().forEach(p -> spec.commandLine().getOut().println("      " + p));
      }
      return O365Mail.USAGE;
    }
    DoctorReport report = examine(c);
    print(spec.commandLine().getOut(), c, report, json);
    return report.exitCode();
  }

  static DoctorReport examine(ConnectionConfig c) {
    SecretExpiryTracker tracker = null;
    ForwardingListener forward = new ForwardingListener();
    try (CredentialStrategy credential = Credentials.strategy(c, forward)) {
      java.util.Optional<GraphRegisteredCredentials> registered = Connectors.registeredCredentials(c, credential);
      try {
        SecretExpiryTracker.Builder tb = SecretExpiryTracker.builder();
        registered.ifPresent(tb::registeredCredentials);
        java.util.Optional<String> skipped = Connectors.registrationSkipped(c, credential);
        skipped.map(RegisteredCredentials::unavailable).ifPresent(tb::registeredCredentials);
        tracker = tb.build().track(credential);
        forward.target = tracker.credentialListener();
        DoctorReport report = TrustAdvice.named(c, ConnectionDoctor.builder()
            .credential(credential)
            .connector(() -> Connectors.connector(c, credential))
            .token(Connectors.tokenRequest(c), Connectors.requirement(c))
            .folder(c.folder())
            .expiry(tracker)
            .build()
            .examine());
        if (skipped.isEmpty()) {
          return report;
        }
        java.util.List<DoctorCheck> checks = new java.util.ArrayList<>(report.checks());
        checks.add(new DoctorCheck("app registration read", DoctorCheck.Status.SKIPPED, skipped.get(), null));
        return new DoctorReport(checks, report.elapsed());
      } finally {
        registered.ifPresent(GraphRegisteredCredentials::close);
        if (tracker != null) {
          tracker.close();
        }
      }
    }
  }

  /** Passes events to a listener set after the strategy is built (the tracker needs the strategy first). */
  static final class ForwardingListener implements CredentialListener {
    volatile CredentialListener target = CredentialListener.NONE;

    @Override
    public void tokenAcquired(org.o365mail.auth.TokenRequest request, java.time.Instant expiresAt, String credential) {
      target.tokenAcquired(request, expiresAt, credential);
    }

    @Override
    public void acquisitionFailed(org.o365mail.auth.TokenRequest request, org.o365mail.MailboxException failure,
        String credential) {
      target.acquisitionFailed(request, failure, credential);
    }

    @Override
    public void credentialFailover(String from, String to, org.o365mail.MailboxException cause) {
      target.credentialFailover(from, to, cause);
    }
  }

  static void print(PrintWriter out, ConnectionConfig c, DoctorReport report, boolean json) {
    if (json) {
      Json.Array checks = Json.array();
      checks.add(Json.object().put("check", "configuration valid").put("status", "PASS").put("detail", c.toString()));
      for (DoctorCheck check : report.checks()) {
        Json.Obj o = Json.object().put("check", check.name()).put("status", check.status().name())
            .put("detail", check.detail());
        check.why().ifPresent(d -> o.put("setupStep", d.setupStep().name()).put("stepTitle", d.setupStep().title())
            .put("serviceCode", d.serviceCode()).put("fix", d.fix()).put("command", d.command().orElse(null)));
        checks.add(o);
      }
      out.println(Json.object().put("connection", c.name()).put("overall", report.overall().name())
          .put("exitCode", report.exitCode()).put("elapsedMillis", report.elapsed().toMillis()).put("checks", checks));
      return;
    }
    out.println("Connection " + c.name() + ": " + c.protocol().name().toLowerCase() + " to " + c.mailbox() + " with "
        + c.flow().name().toLowerCase().replace('_', '-'));
    out.println("PASS  configuration valid");
    for (DoctorCheck check : report.checks()) {
      out.printf("%-5s %s: %s%n", check.status() == DoctorCheck.Status.SKIPPED ? "-" : check.status().name(),
          check.name(), check.detail());
      check.why().ifPresent(d -> printDiagnosis(out, d));
    }
    out.println("Result: " + report.overall() + " (" + report.elapsed().toMillis() + " ms)");
  }

  static void printDiagnosis(PrintWriter out, Diagnosis d) {
    out.println("      setup step: " + d.setupStep().title() + " (" + d.setupStep().where() + ")");
    out.println("      why:        " + d.summary() + " [" + d.serviceCode() + "]");
    out.println("      fix:        " + d.fix());
    d.command().ifPresent(cmd -> out.println("      run:        " + cmd));
  }
}
