package org.o365mail.doctor;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.o365mail.Diagnosis;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;

/**
 * A second look after a failed check, run by the {@link ConnectionDoctor} only when a check fails: Microsoft gives
 * the same answer for several missed steps (AADSTS65001 for a permission not added and for one not consented; an
 * IMAP {@code AUTHENTICATE failed} for a missing Exchange service principal, missing FullAccess and a mistyped
 * mailbox), and a probe asks something else (a token for a narrower scope, the app's service principal, the
 * mailbox through Graph) to tell them apart. Adapters provide the probes that need their protocol; the doctor asks
 * each probe in order and keeps the first finding. A probe never throws for what it probes: it returns empty when it
 * cannot tell more (not allowed to read, unreachable), and it sends tokens only where the connection sends them.
 */
@FunctionalInterface
public interface DoctorProbe {

  /**
   * Looks again at a failure.
   *
   * @param failure the diagnosis of the failed check
   * @param context what the doctor knows about the connection
   * @return a sharper diagnosis and what the probe saw, or empty when this probe cannot tell more
   */
  Optional<Finding> explain(Diagnosis failure, Context context);

  /**
   * What a probe found.
   *
   * @param evidence what the probe asked and saw, for the report ("GET /users/x: 404"); no token or secret
   * @param diagnosis the diagnosis that replaces the failure's (with {@link Diagnosis#alternatives()} where the
   *     probe narrowed the steps down without ruling all but one out)
   */
  record Finding(String evidence, Diagnosis diagnosis) {
    public Finding {
      requireNonNull(evidence, "evidence");
      requireNonNull(diagnosis, "diagnosis");
    }
  }

  /**
   * What the doctor knows when a check fails.
   *
   * @param check the failed check's name ("token acquired", "mailbox opened")
   * @param credential the connection's credential, to ask for other tokens
   * @param registration the app registration it signs in as
   * @param tokenRequest the token the connection uses
   * @param token that token, when one was acquired
   * @param mailbox the mailbox address the connection opens, when known
   */
  record Context(String check, CredentialStrategy credential, AppRegistration registration, TokenRequest tokenRequest,
      Optional<AccessToken> token, Optional<String> mailbox) {
    public Context {
      requireNonNull(check, "check");
      requireNonNull(credential, "credential");
      requireNonNull(registration, "registration");
      requireNonNull(tokenRequest, "tokenRequest");
      requireNonNull(token, "token");
      requireNonNull(mailbox, "mailbox");
    }
  }
}
