package org.o365mail.cli;

import java.util.List;
import java.util.concurrent.Callable;
import org.o365mail.auth.AccountTypes;
import org.o365mail.setup.SetupGuide;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code o365mail setup}: the portal and Exchange steps for a flow and protocol. */
@Command(name = "setup", mixinStandardHelpOptions = true,
    description = "Print the portal steps, permissions and Exchange PowerShell for a sign-in flow and protocol.")
final class SetupCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--flow", required = true,
      description = "client-secret, client-certificate, username-password, device-code or interactive")
  String flow;

  @Option(names = "--protocol", required = true, description = "graph, imap, graph-send or smtp")
  String protocol;

  @Option(names = "--account-types", defaultValue = "SINGLE_TENANT",
      description = "SINGLE_TENANT, MULTI_TENANT or MULTI_TENANT_AND_PERSONAL (default: ${DEFAULT-VALUE})")
  AccountTypes accountTypes;

  @Option(names = "--json", description = "print JSON")
  boolean json;

  @Override
  public Integer call() {
    List<SetupGuide.Instruction> steps;
    try {
      steps = SetupGuide.instructions(SetupGuide.Flow.parse(flow), SetupGuide.Protocol.parse(protocol), accountTypes);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return O365Mail.USAGE;
    }
    var out = spec.commandLine().getOut();
    if (json) {
      Json.Array array = Json.array();
      for (SetupGuide.Instruction i : steps) {
        array.add(Json.object().put("step", i.step().name()).put("title", i.title()).put("text", i.text())
            .put("command", i.command().orElse(null)));
      }
      out.println(Json.object().put("flow", flow).put("protocol", protocol).put("accountTypes", accountTypes.name())
          .put("steps", array));
      return O365Mail.OK;
    }
    out.println("Setup for " + flow + " over " + protocol + " (" + accountTypes + "):");
    int n = 1;
    for (SetupGuide.Instruction i : steps) {
      out.println();
      out.println(n++ + ". " + i.title());
      out.println("   " + i.text());
      i.command().ifPresent(c -> out.println("   PowerShell: " + c));
    }
    return O365Mail.OK;
  }
}
