package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collections;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.PasswordCredential;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;
import org.o365mail.testkit.internal.Pki;

/**
 * Trust per endpoint against a local tenant whose identity endpoint and mail servers have certificates from two
 * CAs: one {@code trustStore} holding both CAs (PEM or PKCS#12) works for both sides; {@code authorityTrustStore}
 * and {@code mailTrustStore} each trust one side; a store missing a side's CA fails that side as a TLS failure
 * naming the key to set; a broken override exits 64 naming its key.
 */
@Timeout(300)
class TrustPerEndpointTest {
  static LocalTenant m365;
  static Tenant contoso;
  static Application app;
  static PasswordCredential secret;
  static Mailbox mailbox;
  @TempDir static Path dir;

  record Result(int exit, String out, String err) {}

  @BeforeAll
  static void start() throws Exception {
    m365 = LocalTenant.builder().twoCertificateAuthorities().start();
    contoso = m365.createTenant("contoso.com");
    mailbox = contoso.addSharedMailbox("invoices@contoso.com");
    mailbox.deliver(TestMessages.text("billing@fabrikam.com", mailbox.address(), "Invoice 1", "Due: 1"));
    app = contoso.registerApp("two CAs");
    app.addApplicationPermission(ApiResource.EXCHANGE_ONLINE, "IMAP.AccessAsApp", "SMTP.SendAsApp")
        .addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite", "Mail.Send").grantAdminConsent();
    contoso.addMailboxPermission(mailbox.address(), contoso.registerExchangeServicePrincipal(app).objectId(),
        "FullAccess");
    secret = app.addClientSecret("s", Duration.ofDays(300));
    ownerOnly(write("secret", secret.value()));
    ownerOnly(write("password", "changeit"));
    write("both.pem", pem(m365.trustStore()));
    write("identity.pem", pem(m365.identityTrustStore()));
    write("mail.pem", pem(m365.mailTrustStore()));
    Pki.writeTrustStore(dir.resolve("mail.p12"), m365.mailTrustStore(), "changeit".toCharArray());
    m365.writeTrustStore(dir.resolve("both.p12"), "changeit".toCharArray());
  }

  @AfterAll
  static void stop() {
    m365.close();
  }

  static String pem(KeyStore store) throws GeneralSecurityException {
    StringBuilder sb = new StringBuilder();
    for (String alias : Collections.list(store.aliases())) {
      sb.append(Pki.certificatePem((X509Certificate) store.getCertificate(alias)));
    }
    return sb.toString();
  }

  static void ownerOnly(Path file) throws IOException {
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  static Path write(String name, String content) throws IOException {
    return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
  }

  static Path config(String name, String protocol, String... trust) throws IOException {
    StringBuilder sb = new StringBuilder();
    sb.append("c.clientId = ").append(app.clientId()).append('\n');
    sb.append("c.tenant = ").append(contoso.id()).append('\n');
    sb.append("c.flow = client-secret\n");
    sb.append("c.clientSecret = file:secret\n");
    sb.append("c.clientSecret.expiresAt = ").append(secret.endDateTime()).append('\n');
    sb.append("c.protocol = ").append(protocol).append('\n');
    sb.append("c.mailbox = ").append(mailbox.address()).append('\n');
    sb.append("c.authorityHost = ").append(m365.authorityHost()).append('\n');
    sb.append("c.graphBaseUrl = ").append(m365.graphBaseUrl()).append('\n');
    sb.append("c.imapHost = ").append(m365.hostName()).append('\n');
    sb.append("c.imapPort = ").append(m365.imapPort()).append('\n');
    sb.append("c.smtpHost = ").append(m365.hostName()).append('\n');
    sb.append("c.smtpPort = ").append(m365.smtpPort()).append('\n');
    for (String line : trust) {
      sb.append("c.").append(line).append('\n');
    }
    return write(name + ".properties", sb.toString());
  }

  static Result doctor(Path config) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = O365Mail.run(new PrintWriter(out, true), new PrintWriter(err, true), "doctor", "--config",
        config.toString());
    Result r = new Result(exit, out.toString(), err.toString());
    assertThat(r.out() + r.err()).doesNotContain(secret.value());
    return r;
  }

  @ParameterizedTest
  @ValueSource(strings = {"imap", "graph"})
  void oneTrustStoreWithBothCas_pemOrPkcs12_passesEveryCheck(String protocol) throws Exception {
    Result pem = doctor(config("both-pem-" + protocol, protocol, "trustStore = both.pem"));
    assertThat(pem.exit()).as(pem.out() + pem.err()).isEqualTo(O365Mail.OK);
    assertThat(pem.out()).contains("PASS  authority reachable", "PASS  token acquired", "PASS  mailbox opened");

    Result p12 = doctor(config("both-p12-" + protocol, protocol, "trustStore = both.p12",
        "trustStore.password = file:password"));
    assertThat(p12.exit()).as(p12.out() + p12.err()).isEqualTo(O365Mail.OK);
  }

  @ParameterizedTest
  @ValueSource(strings = {"imap", "graph"})
  void authorityAndMailTrustStores_eachTrustTheirOwnSide(String protocol) throws Exception {
    Result r = doctor(config("split-" + protocol, protocol, "authorityTrustStore = identity.pem",
        "mailTrustStore = mail.p12", "mailTrustStore.password = file:password"));

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(O365Mail.OK);
    assertThat(r.out()).contains("PASS  authority reachable", "PASS  token acquired", "PASS  mailbox opened");
  }

  @Test
  void aStoreWithoutTheIdentityCa_failsTheSignInAsTls_namingTheCertificateAndTheKeys() throws Exception {
    Result r = doctor(config("mail-only", "imap", "trustStore = mail.pem"));

    assertThat(r.exit()).isEqualTo(O365Mail.FAILURES);
    assertThat(r.out()).contains("FAIL  authority reachable: Reached the sign-in endpoint at localhost:"
            + m365.identityPort() + ", but its certificate (subject CN=localhost,O=O365 Mail SDK testkit identity,"
            + " issued by CN=O365 Mail SDK testkit identity CA) is not trusted")
        .contains("setup step: Network and TLS trust")
        .contains("fix:        Add the CA that issued this certificate to the file of c.trustStore")
        .contains("or set c.authorityTrustStore")
        .doesNotContainIgnoringCase("cannot reach");
  }

  @Test
  void onlyAnAuthorityTrustStore_leavesTheMailSideToTheJvm_andNamesTheMailKeys() throws Exception {
    // the connector would otherwise take the registration's (the sign-in side's) trust for mail
    Result r = doctor(config("identity-only", "imap", "authorityTrustStore = identity.pem"));

    assertThat(r.exit()).isEqualTo(O365Mail.FAILURES);
    assertThat(r.out()).contains("PASS  authority reachable", "PASS  token acquired")
        .contains("Reached the IMAP server at localhost:" + m365.imapPort())
        .contains("issued by CN=O365 Mail SDK testkit mail CA) is not trusted")
        .contains("to the file of c.trustStore", "or set c.mailTrustStore");
  }

  @Test
  void brokenOverrides_exit64_namingTheirKeys() throws Exception {
    write("not-a-cert.pem", "hello\n");
    Result notCert = doctor(config("bad-mail", "imap", "trustStore = both.pem", "mailTrustStore = not-a-cert.pem"));
    assertThat(notCert.exit()).isEqualTo(O365Mail.USAGE);
    assertThat(notCert.out()).contains("FAIL  configuration valid", "c.mailTrustStore: ")
        .doesNotContain("c.trustStore:");

    ownerOnly(write("wrong", "wrong-password"));
    Result wrong = doctor(config("bad-authority", "imap", "authorityTrustStore = both.p12",
        "authorityTrustStore.password = file:wrong"));
    assertThat(wrong.exit()).isEqualTo(O365Mail.USAGE);
    assertThat(wrong.out()).contains("c.authorityTrustStore: cannot open")
        .contains("the password of c.authorityTrustStore.password is wrong");

    Result missing = doctor(config("missing", "imap", "mailTrustStore = nowhere.pem"));
    assertThat(missing.exit()).isEqualTo(O365Mail.USAGE);
    assertThat(missing.out()).contains("c.mailTrustStore: file");
  }
}
