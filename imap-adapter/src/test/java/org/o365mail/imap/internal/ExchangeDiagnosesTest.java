package org.o365mail.imap.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;
import org.o365mail.auth.CredentialKind;

/**
 * Exchange's {@code 535 5.7.139} answers the testkit does not give, in the words public transcripts quote: only
 * {@code SmtpClientAuthentication is disabled} is the SMTP AUTH switch; the others are named for what they are.
 */
@Timeout(10)
class ExchangeDiagnosesTest {
  private static final ExchangeDiagnoses.Login LOGIN = new ExchangeDiagnoses.Login("SMTP", "scanner@contoso.com",
      CredentialKind.APP_ONLY, "1b2c3d4e-0000-1111-2222-333344445555", Optional.empty(), Optional.empty());

  @Test
  void smtpClientAuthenticationDisabledForTheMailbox_isTheMailboxSwitch() {
    Diagnosis d = ExchangeDiagnoses.smtpAuthDisabled(LOGIN, "535 5.7.139 Authentication unsuccessful,"
        + " SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more"
        + " information. [MN2PR05CA0004.namprd05.prod.outlook.com]");
    assertThat(d.setupStep()).isEqualTo(SetupStep.MAILBOX_PROTOCOL);
    assertThat(d.command()).contains("Set-CASMailbox -Identity scanner@contoso.com -SmtpClientAuthenticationDisabled"
        + " $false");
  }

  @Test
  void securityDefaults_isConditionalAccess_notTheSmtpSwitch() {
    Diagnosis d = ExchangeDiagnoses.smtpAuthDisabled(LOGIN, "535 5.7.139 Authentication unsuccessful, user is locked"
        + " by your organization's security defaults policy. Contact your administrator.");
    assertThat(d.setupStep()).isEqualTo(SetupStep.CONDITIONAL_ACCESS);
    assertThat(d.command()).isEmpty();
    assertThat(d.summary()).contains("security defaults");
  }

  @Test
  void otherWordings_areNotBlamedOnTheSmtpSwitch_andTheServerTextIsEscaped() {
    Diagnosis d = ExchangeDiagnoses.smtpAuthDisabled(LOGIN, "535 5.7.139 Authentication unsuccessful, the request"
        + " did not meet the criteria\u001b[31m to be authenticated successfully.");
    assertThat(d.setupStep()).isEqualTo(SetupStep.UNKNOWN);
    assertThat(d.summary()).contains("did not meet the criteria").doesNotContain("\u001b");
  }
}
