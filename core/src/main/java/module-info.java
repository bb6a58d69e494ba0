/**
 * The SDK's core: app registrations and credential strategies, the {@link org.o365mail.MailboxConnector}
 * interface and its value types, diagnosis, secret-expiry tracking, the crash-safe importer and the setup guide.
 * MSAL is used inside and never shown: no exported signature names one of its types.
 */
module org.o365mail {
  requires com.microsoft.aad.msal4j;
  requires org.slf4j;
  requires java.desktop; // BrowserLauncher opens the system browser for interactive sign-in
  requires java.management; // MailImporter names its lease owner after the process
  requires java.net.http;

  exports org.o365mail;
  exports org.o365mail.auth;
  exports org.o365mail.doctor;
  exports org.o365mail.expiry;
  exports org.o365mail.importer;
  exports org.o365mail.net;
  exports org.o365mail.setup;
}
