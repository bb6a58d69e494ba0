package org.o365mail.examples;

import java.time.LocalDate;
import java.time.ZoneOffset;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.expiry.ExpiryReport;
import org.o365mail.expiry.ExpiryStatus;
import org.o365mail.expiry.SecretExpiryTracker;
import org.o365mail.graph.GraphRegisteredCredentials;

/**
 * When do this service's client secrets expire? Prints the report for the secrets configured (with the end dates
 * typed from the portal) and, when the app may read its own registration ({@code Application.Read.All}, or the app
 * is an owner of itself), every secret and certificate registered on the app, matched to the configured ones. Exit
 * code 0 OK, 1 warning, 2 critical or expired: ready for a cron job or a monitoring check.
 *
 * <pre>
 * O365_CLIENT_SECRET=... O365_CLIENT_SECRET_2=... java -cp ... org.o365mail.examples.SecretExpiryReport \
 *     &lt;tenant id&gt; &lt;client id&gt; 2027-05-31 2028-05-31
 * </pre>
 */
public final class SecretExpiryReport {
  private SecretExpiryReport() {}

  public static void main(String[] args) {
    AppRegistration app = AppRegistration.builder().tenant(args[0]).clientId(args[1]).build();
    ClientSecret current = ClientSecret.fromEnvironment("O365_CLIENT_SECRET").withExpiresAt(endOf(args[2]));
    ClientSecret next = ClientSecret.fromEnvironment("O365_CLIENT_SECRET_2").withExpiresAt(endOf(args[3]));
    try (CredentialStrategy credential = CredentialStrategy.clientCredentials(app).secret(current).secret(next).build();
        GraphRegisteredCredentials registration = GraphRegisteredCredentials.builder().credential(credential).build()) {
      SecretExpiryTracker tracker = SecretExpiryTracker.builder().registeredCredentials(registration).build()
          .track(credential);
      ExpiryReport report = tracker.check();
      System.out.println(report.toText());
      ExpiryStatus worst = report.overall();
      System.exit(worst == ExpiryStatus.OK ? 0 : worst == ExpiryStatus.WARNING || worst == ExpiryStatus.UNKNOWN ? 1 : 2);
    }
  }

  static java.time.Instant endOf(String date) {
    return LocalDate.parse(date).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
  }
}
