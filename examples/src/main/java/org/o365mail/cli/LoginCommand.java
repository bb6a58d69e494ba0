package org.o365mail.cli;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.o365mail.MailboxException;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.DeviceCodeChallenge;
import org.o365mail.auth.DeviceCodeCredential;
import org.o365mail.auth.InteractiveCredential;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.cli.config.JdbcUrls;
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

  @Option(names = "--timeout", defaultValue = "PT15M",
      description = "how long the whole sign-in may take, the user included (default ${DEFAULT-VALUE})")
  Duration timeout;

  @Override
  public Integer call() {
    ConnectionConfig c = options.load();
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    if (c.tokenStore().isEmpty() && c.tokenStoreUrl().isEmpty()) {
      err.println(c.name() + ".tokenStore is not set: the sign-in would be lost when this command ends");
      return O365Mail.USAGE;
    }
    try (CredentialStrategy strategy = Credentials.strategy(c, CredentialListener.NONE)) {
      if (!(strategy instanceof DeviceCodeCredential) && !(strategy instanceof InteractiveCredential)) {
        err.println("login is for flow device-code or interactive; " + c.name() + ".flow is " + c.flow());
        return O365Mail.USAGE;
      }
      // --timeout bounds the whole sign-in, the requests to the identity endpoint included, not only the wait for
      // the user: the sign-in runs on a daemon thread that is left behind (and ends with the process) when it is up
      long deadline = System.nanoTime() + timeout.toNanos();
      CompletableFuture<AccessToken> signIn = new CompletableFuture<>();
      Thread t = new Thread(() -> {
        try {
          signIn.complete(signIn(strategy, out, deadline));
        } catch (Throwable e) {
          signIn.completeExceptionally(e);
        }
      }, "o365mail-login");
      t.setDaemon(true);
      t.start();
      AccessToken token;
      try {
        token = signIn.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        err.println("Sign-in failed: it did not complete within --timeout " + timeout);
        return O365Mail.FAILURES;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        err.println("Sign-in interrupted");
        return O365Mail.FAILURES;
      } catch (ExecutionException e) {
        if (e.getCause() instanceof MailboxException m) {
          throw m;
        }
        throw new IllegalStateException(e.getCause());
      }
      out.println("Signed in" + signedInAs(token)
          + "; the refresh token is kept in " + c.tokenStore().map(Object::toString)
          .orElseGet(() -> "the o365mail_token table of " + JdbcUrls.shown(c.tokenStoreUrl().orElseThrow())));
      return O365Mail.OK;
    } catch (MailboxException e) {
      err.println("Sign-in failed: " + e.getMessage());
      return O365Mail.FAILURES;
    }
  }

  /**
   * " as user@..." from the token's claims; nothing for a token that is not a JWT, as Microsoft issues to personal
   * accounts (entra-docs access-tokens.md: such tokens are opaque to the client).
   */
  private static String signedInAs(AccessToken token) {
    try {
      return token.claims().userPrincipalName().map(u -> " as " + u).orElse("");
    } catch (IllegalArgumentException opaque) {
      return "";
    }
  }

  private static AccessToken signIn(CredentialStrategy strategy, java.io.PrintWriter out, long deadline) {
    if (strategy instanceof DeviceCodeCredential device) {
      DeviceCodeChallenge challenge = device.start();
      out.println(challenge.message());
      out.flush();
      return device.await(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
    }
    return ((InteractiveCredential) strategy).signIn();
  }
}
