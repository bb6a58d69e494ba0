package org.o365mail.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.o365mail.MailboxException;
import org.o365mail.OutgoingAttachment;
import org.o365mail.OutgoingMessage;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.cli.config.ConnectionConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code o365mail send}: send one message from the configured mailbox. */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Send a message from the connection's mailbox (Graph sendMail, or SMTP AUTH for imap connections).")
final class SendCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ConfigOptions options;

  @Option(names = "--to", required = true, split = ",", description = "recipients")
  List<String> to;

  @Option(names = "--cc", split = ",")
  List<String> cc = List.of();

  @Option(names = "--subject", required = true)
  String subject;

  @Option(names = "--body", defaultValue = "")
  String body;

  @Option(names = "--html", description = "the body is HTML")
  boolean html;

  @Option(names = "--attach", description = "a file to attach (repeatable)")
  List<Path> attachments = List.of();

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Override
  public Integer call() {
    ConnectionConfig c = options.load();
    OutgoingMessage.Builder b = OutgoingMessage.builder().to(to.toArray(String[]::new)).subject(subject);
    if (!cc.isEmpty()) {
      b.cc(cc.toArray(String[]::new));
    }
    if (html) {
      b.html(body);
    } else {
      b.text(body);
    }
    for (Path p : attachments) {
      b.attach(OutgoingAttachment.file(p));
    }
    OutgoingMessage message = b.build();
    try (CredentialStrategy credential = Credentials.strategy(c, CredentialListener.NONE)) {
      Connectors.send(c, credential, message);
      spec.commandLine().getOut().println(json
          ? Json.object().put("sent", true).put("to", String.join(",", to)).put("subject", subject)
              .put("attachments", attachments.size()).toString()
          : "Sent \"" + subject + "\" to " + String.join(", ", to) + " from " + c.mailbox());
      return O365Mail.OK;
    } catch (MailboxException e) {
      spec.commandLine().getErr().println("Sending failed: " + e.getMessage());
      e.diagnosis().ifPresent(d -> DoctorCommand.printDiagnosis(spec.commandLine().getErr(), d));
      return O365Mail.FAILURES;
    }
  }
}
