package org.o365mail.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.o365mail.Diagnosis;
import org.o365mail.OutgoingMessage;
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

  @Option(names = "--send-test-to", paramLabel = "ADDRESS",
      description = "for a connection that sends (use = send or read,send): after the send checks pass, send one"
          + " test message to ADDRESS")
  String sendTestTo;

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
    if (sendTestTo != null && (!c.uses().contains(ConnectionDoctor.Use.SEND)
        || !sendTestTo.matches("[^@\\s]+@[^@\\s]+\\.[^@\\s]+"))) {
      spec.commandLine().getErr().println(!c.uses().contains(ConnectionDoctor.Use.SEND)
          ? "--send-test-to needs a connection that sends: " + c.name() + ".use is read"
          : "--send-test-to is not an email address: write one such as ops@contoso.com");
      return O365Mail.USAGE;
    }
    DoctorReport report = examine(c, sendTestTo, options.file().connections().values());
    print(spec.commandLine().getOut(), c, report, json);
    return report.exitCode();
  }

  static DoctorReport examine(ConnectionConfig c) {
    return examine(c, null, java.util.List.of());
  }

  /**
   * @param sendTestTo where to send a test message, or null
   * @param others the file's other connections, for the probe that looks at the same app's other mailboxes
   */
  static DoctorReport examine(ConnectionConfig c, String sendTestTo, java.util.Collection<ConnectionConfig> others) {
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
        ConnectionDoctor.Builder doctor = ConnectionDoctor.builder()
            .credential(credential)
            .connector(() -> Connectors.connector(c, credential))
            .token(Connectors.tokenRequest(c), Connectors.requirement(c))
            .mailbox(c.mailbox())
            .folder(c.folder())
            .expiry(tracker);
        Connectors.mailboxTokenRequest(c, credential).ifPresent(doctor::mailboxToken);
        Connectors.doctorProbes(c, credential, others).forEach(doctor::probe);
        java.util.Set<ConnectionDoctor.Use> uses = c.uses();
        doctor.use(uses.iterator().next(), uses.toArray(ConnectionDoctor.Use[]::new));
        java.util.Optional<String> smtpSkipped = java.util.Optional.empty();
        if (uses.contains(ConnectionDoctor.Use.SEND)) {
          if (!c.sendOnly()) {
            doctor.sendToken(Connectors.sendTokenRequest(c), Connectors.sendRequirement(c));
          }
          if (c.protocol() == ConnectionConfig.Protocol.IMAP) {
            // SMTP AUTH: STARTTLS, AUTH XOAUTH2, QUIT; its failure carries SMTP AUTH's setup step
            smtpSkipped = Connectors.smtpCheckSkipped(c, credential);
            if (smtpSkipped.isEmpty()) {
              doctor.sendPath(() -> Connectors.smtpSender(c, credential).checkConnection());
            }
          }
        }
        DoctorReport report = TrustAdvice.named(c, doctor.build().examine());
        java.util.List<DoctorCheck> checks = new java.util.ArrayList<>();
        for (DoctorCheck check : report.checks()) {
          checks.add(c.useSet() ? check : sendWarning(c, check));
        }
        smtpSkipped.ifPresent(why -> checks.add(new DoctorCheck("send path", DoctorCheck.Status.SKIPPED, why,
            java.util.Optional.empty())));
        skipped.ifPresent(why -> checks.add(new DoctorCheck("app registration read", DoctorCheck.Status.SKIPPED, why,
            java.util.Optional.empty())));
        if (sendTestTo != null) {
          checks.add(sendTest(c, credential, sendTestTo, report));
        }
        return new DoctorReport(checks, report.elapsed());
      } finally {
        registered.ifPresent(GraphRegisteredCredentials::close);
        if (tracker != null) {
          tracker.close();
        }
      }
    }
  }

  private static final java.util.Set<String> SEND_CHECKS = java.util.Set.of("send token acquired", "send claims fit",
      "send path");

  /**
   * With {@code use} not set, the connection is read,send by default, but nothing says it ever sends: a send check
   * that fails is a warning with its step and fix (and "set use = read" if it never sends), not a failure of a
   * reader that is set up right.
   */
  private static DoctorCheck sendWarning(ConnectionConfig c, DoctorCheck check) {
    if (check.status() != DoctorCheck.Status.FAIL || !SEND_CHECKS.contains(check.name())) {
      return check;
    }
    Diagnosis failed = check.diagnosis().orElseThrow();
    String fix = failed.fix();
    Diagnosis d = failed.toBuilder().fix((fix.endsWith(".") ? fix.substring(0, fix.length() - 1) : fix)
        + ". If " + c.name() + " never sends, set "
        + c.name() + ".use = read; if it does, set " + c.name() + ".use = read,send to make this a failure").build();
    return new DoctorCheck(check.name(), DoctorCheck.Status.WARN, check.detail() + " (" + c.name()
        + ".use not set: sending is checked as a warning)", java.util.Optional.of(d));
  }

  /** One real message through the connection's send path, only when every check before passed. */
  private static DoctorCheck sendTest(ConnectionConfig c, CredentialStrategy credential, String to,
      DoctorReport report) {
    if (report.overall() == DoctorCheck.Status.FAIL) {
      return new DoctorCheck("test message sent", DoctorCheck.Status.SKIPPED, "skipped: an earlier check failed",
          java.util.Optional.empty());
    }
    OutgoingMessage message = OutgoingMessage.builder().to(to).subject("o365mail doctor: test message from "
        + c.name()).text("This message was sent by 'o365mail doctor --send-test-to' to test the connection "
        + c.name() + ". No reply is needed.").build();
    try {
      Connectors.send(c, credential, message);
      return new DoctorCheck("test message sent", DoctorCheck.Status.PASS, "sent to " + to + " as " + c.mailbox()
          + " (" + (c.protocol() == ConnectionConfig.Protocol.IMAP ? "SMTP AUTH" : "Graph sendMail") + ")",
          java.util.Optional.empty());
    } catch (org.o365mail.MailboxException e) {
      Diagnosis d = e.diagnosis().orElseGet(() -> Diagnosis.builder(org.o365mail.SetupStep.UNKNOWN,
          e.getClass().getSimpleName()).summary("sending failed").fix("See the message").build());
      return new DoctorCheck("test message sent", DoctorCheck.Status.FAIL, "sending to " + to + " failed",
          java.util.Optional.of(d));
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
        check.diagnosis().ifPresent(d -> {
          o.put("setupStep", d.setupStep().name()).put("stepTitle", d.setupStep().title())
              .put("serviceCode", d.serviceCode()).put("fix", d.fix()).put("command", d.command().orElse(null));
          if (!d.alternatives().isEmpty()) {
            Json.Array alternatives = Json.array();
            for (Diagnosis a : d.alternatives()) {
              alternatives.add(Json.object().put("setupStep", a.setupStep().name()).put("summary", a.summary())
                  .put("fix", a.fix()).put("command", a.command().orElse(null)));
            }
            o.put("alternatives", alternatives);
          }
        });
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
      check.diagnosis().ifPresent(d -> printDiagnosis(out, d));
    }
    out.println("Result: " + report.overall() + " (" + report.elapsed().toMillis() + " ms)");
  }

  static void printDiagnosis(PrintWriter out, Diagnosis d) {
    out.println("      setup step: " + d.setupStep().title() + " (" + d.setupStep().where() + ")");
    out.println("      why:        " + d.summary() + " [" + d.serviceCode() + "]");
    out.println("      fix:        " + d.fix());
    d.command().ifPresent(cmd -> out.println("      run:        " + cmd));
    for (Diagnosis a : d.alternatives()) {
      out.println("      or step:    " + a.setupStep().title() + " (" + a.setupStep().where() + ")");
      out.println("        why:      " + a.summary());
      out.println("        fix:      " + a.fix());
      a.command().ifPresent(cmd -> out.println("        run:      " + cmd));
    }
  }
}
