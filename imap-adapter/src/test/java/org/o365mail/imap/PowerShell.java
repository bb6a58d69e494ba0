package org.o365mail.imap;

import static org.assertj.core.api.Assertions.fail;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.o365mail.testkit.Tenant;

/**
 * Runs the Exchange Online PowerShell a diagnosis prints, against the testkit's tenant, so a test can show that the
 * command it prints is exactly the one that fixes the setup. Knows the cmdlets the connector prints; anything else
 * fails the test.
 */
final class PowerShell {
  private static final Pattern NEW_SERVICE_PRINCIPAL =
      Pattern.compile("New-ServicePrincipal -AppId (\\S+) -ObjectId (\\S+)");
  private static final Pattern ADD_MAILBOX_PERMISSION =
      Pattern.compile("Add-MailboxPermission -Identity (\\S+) -User (\\S+) -AccessRights FullAccess");
  private static final Pattern IMAP_ENABLED = Pattern.compile("Set-CASMailbox -Identity (\\S+) -ImapEnabled \\$true");
  private static final Pattern SMTP_MAILBOX =
      Pattern.compile("Set-CASMailbox -Identity (\\S+) -SmtpClientAuthenticationDisabled \\$false");
  private static final Pattern ADD_RECIPIENT_PERMISSION =
      Pattern.compile("Add-RecipientPermission -Identity (\\S+) -Trustee (\\S+) -AccessRights SendAs");
  private static final Pattern MAX_SEND_SIZE = Pattern.compile("Set-Mailbox -Identity (\\S+) -MaxSendSize (\\d+)MB");
  private static final Pattern SMTP_TENANT = Pattern.compile("Set-TransportConfig -SmtpClientAuthenticationDisabled \\$false");

  private PowerShell() {}

  /** Runs each {@code ;}-separated command. */
  static void run(Tenant tenant, String script) {
    for (String command : script.split(";")) {
      String c = command.strip();
      Matcher m;
      if ((m = NEW_SERVICE_PRINCIPAL.matcher(c)).matches()) {
        tenant.newExchangeServicePrincipal(m.group(1), m.group(2));
      } else if ((m = ADD_MAILBOX_PERMISSION.matcher(c)).matches()) {
        tenant.addMailboxPermission(m.group(1), m.group(2), "FullAccess");
      } else if ((m = IMAP_ENABLED.matcher(c)).matches()) {
        tenant.mailbox(m.group(1)).imapEnabled(true);
      } else if ((m = SMTP_MAILBOX.matcher(c)).matches()) {
        tenant.mailbox(m.group(1)).smtpClientAuthenticationDisabled(false);
      } else if ((m = ADD_RECIPIENT_PERMISSION.matcher(c)).matches()) {
        tenant.addRecipientPermission(m.group(1), m.group(2), "SendAs");
      } else if ((m = MAX_SEND_SIZE.matcher(c)).matches()) {
        tenant.mailbox(m.group(1)).maxSendSize(Long.parseLong(m.group(2)) * 1024 * 1024);
      } else if (SMTP_TENANT.matcher(c).matches()) {
        tenant.smtpClientAuthenticationDisabled(false);
      } else {
        fail("not a command this PowerShell knows: " + c);
      }
    }
  }
}
