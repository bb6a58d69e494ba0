package org.o365mail.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import org.o365mail.MailboxException;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeChallenge;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.InteractiveCredential;
import org.o365mail.cli.config.ConnectionConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code o365mail login}: a device-code or interactive sign-in whose refresh token goes to the token store. */
@Command(name = "login", mixinStandardHelpOptions = true,
    description = "Sign a user in (device code or interactive) and keep the refresh token in the configured tokenStore.")
final class LoginCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Mixin ConfigOptions options;

  @Option(names = "--timeout", defaultValue = "PT15M", description = "how long to wait for the user (default ${DEFAULT-VALUE})")
  Duration timeout;

  @Override
  public Integer call() {
    ConnectionConfig c = options.load();
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    if (c.tokenStore().isEmpty()) {
      err.println(c.name() + ".tokenStore is not set: the sign-in would be lost when this command ends");
      return O365Mail.USAGE;
    }
    try (CredentialStrategy strategy = Credentials.strategy(c, CredentialListener.NONE)) {
      AccessToken token;
      if (strategy instanceof DeviceCodeCredential device) {
        DeviceCodeChallenge challenge = device.start();
        out.println(challenge.message());
        out.flush();
        token = device.await(timeout);
      } else if (strategy instanceof InteractiveCredential interactive) {
        token = interactive.signIn();
      } else {
        err.println("login is for flow device-code or interactive; " + c.name() + ".flow is " + c.flow());
        return O365Mail.USAGE;
      }
      out.println("Signed in" + token.claims().userPrincipalName().map(u -> " as " + u).orElse("")
          + "; the refresh token is kept in " + c.tokenStore().get());
      return O365Mail.OK;
    } catch (MailboxException e) {
      err.println("Sign-in failed: " + e.getMessage());
      return O365Mail.FAILURES;
    }
  }
}
