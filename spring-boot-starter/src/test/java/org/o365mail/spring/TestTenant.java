package org.o365mail.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.o365mail.testkit.ApiResource;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * One local Microsoft 365 tenant (the testkit) for the starter's tests, started once, and the application
 * properties that connect to it. The same tests run on Boot 3 and Boot 4, so health is read by the methods both
 * generations' types have ({@code getContributor}, {@code health}, {@code getStatus}, {@code getDetails}).
 */
final class TestTenant {
  static final LocalTenant M365 = LocalTenant.start();
  static final Tenant CONTOSO = M365.createTenant("contoso.com");
  private static final String TRUST_PASSWORD = "changeit";
  static final Path TRUST_STORE = trustStore();

  private TestTenant() {}

  private static Path trustStore() {
    try {
      Path dir = Files.createTempDirectory("o365mail-spring");
      return M365.writeTrustStore(dir.resolve("trust.p12"), TRUST_PASSWORD.toCharArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A daemon app, consented for Graph Mail.ReadWrite unless {@code consented} is false. */
  static Application app(String name, boolean consented) {
    Application app = CONTOSO.registerApp(name);
    if (consented) {
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite").grantAdminConsent();
    } else {
      app.addApplicationPermission(ApiResource.MICROSOFT_GRAPH, "Mail.ReadWrite");
    }
    return app;
  }

  static Mailbox mailbox(String address, int messages) {
    Mailbox box = CONTOSO.addSharedMailbox(address);
    for (int i = 0; i < messages; i++) {
      box.deliver(TestMessages.text("sender@fabrikam.com", address, "Invoice " + i, "Body " + i));
    }
    return box;
  }

  /** The properties of a Graph connection {@code name} with a fresh secret of {@code app}. */
  static List<String> graphConnection(String name, Application app, String mailbox) {
    String p = "o365mail.connections." + name + ".";
    List<String> props = new ArrayList<>(List.of(
        p + "client-id=" + app.clientId(),
        p + "tenant=" + CONTOSO.id(),
        p + "flow=client-secret",
        p + "client-secret=" + app.addClientSecret("spring", Duration.ofDays(180)).value(),
        p + "protocol=graph",
        p + "mailbox=" + mailbox,
        p + "authority-host=" + M365.authorityHost(),
        p + "graph-base-url=" + M365.graphBaseUrl(),
        p + "trust-store=" + TRUST_STORE,
        p + "trust-store-password=" + TRUST_PASSWORD));
    return props;
  }

  /** Status code and details of indicator {@code name} of the composite {@code o365mailHealthContributor}. */
  record Reading(String status, Map<String, Object> details) {}

  @SuppressWarnings("unchecked")
  static Reading health(Object composite, String name) {
    try {
      Object indicator = composite.getClass().getMethod("getContributor", String.class).invoke(composite, name);
      Method health = indicator.getClass().getMethod("health");
      health.setAccessible(true);
      Object h = health.invoke(indicator);
      Object status = h.getClass().getMethod("getStatus").invoke(h);
      String code = (String) status.getClass().getMethod("getCode").invoke(status);
      return new Reading(code, (Map<String, Object>) h.getClass().getMethod("getDetails").invoke(h));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }
}
