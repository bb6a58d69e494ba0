package org.o365mail.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.cli.config.ConnectionConfig;
import org.o365mail.doctor.DoctorCheck;
import org.o365mail.doctor.DoctorReport;
import org.o365mail.TlsFailures;

/**
 * Names the configuration key to set when a certificate was refused for want of its CA: the SDK's diagnosis says
 * {@code AppRegistration.trust(...)} or the connector's {@code trust(...)}; a user of the tool sets {@code
 * <name>.trustStore}, {@code <name>.authorityTrustStore} or {@code <name>.mailTrustStore}.
 */
final class TrustAdvice {
  private TrustAdvice() {}

  /** {@code d} with its fix naming the key of the refused side, when it is an untrusted certificate; else {@code d}. */
  static Diagnosis named(ConnectionConfig c, Diagnosis d) {
    if (d.setupStep() != SetupStep.TRUST || !d.summary().contains(TlsFailures.Refusal.UNTRUSTED.words())) {
      return d;
    }
    boolean signIn = TlsFailures.SIGN_IN_CODE.equals(d.serviceCode());
    if (!signIn && !TlsFailures.MAIL_CODE.equals(d.serviceCode())) {
      return d;
    }
    String key = signIn ? c.authorityTrustKey() : c.mailTrustKey();
    String own = c.name() + (signIn ? ".authorityTrustStore" : ".mailTrustStore");
    String fix = "Add the CA that issued this certificate to the file of " + key + " (PEM or PKCS#12; one file may"
        + " hold several CAs)"
        + (key.equals(own) ? "" : ", or set " + own + " to a store for " + (signIn ? "the sign-in endpoint"
            : "Graph, IMAP and SMTP") + " alone")
        + "; if this machine should not see that CA, look for a TLS-inspecting proxy in between";
    return d.toBuilder().fix(fix).build();
  }

  /** {@code report} with each check's diagnosis {@linkplain #named named}. */
  static DoctorReport named(ConnectionConfig c, DoctorReport report) {
    List<DoctorCheck> checks = new ArrayList<>();
    for (DoctorCheck check : report.checks()) {
      checks.add(check.diagnosis().isEmpty() ? check
          : new DoctorCheck(check.name(), check.status(), check.detail(),
              Optional.of(named(c, check.diagnosis().get()))));
    }
    return new DoctorReport(checks, report.elapsed());
  }
}
