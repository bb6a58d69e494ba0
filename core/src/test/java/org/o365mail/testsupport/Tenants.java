package org.o365mail.testsupport;

import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.AppRegistration;
import org.o365mail.testkit.Application;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.Tenant;

/** App registrations pointing at the local tenant, trusting only its certificate. */
public final class Tenants {
  private Tenants() {}

  public static AppRegistration app(LocalTenant m365, Tenant tenant, Application app) {
    return AppRegistration.builder()
        .clientId(app.clientId())
        .tenant(tenant.id())
        .authorityHost(m365.authorityHost())
        .trust(m365.sslContext())
        .build();
  }

  /** A multitenant registration without a tenant (signs in through /organizations). */
  public static AppRegistration organizations(LocalTenant m365, Application app) {
    return AppRegistration.builder()
        .clientId(app.clientId())
        .accountTypes(AccountTypes.MULTI_TENANT)
        .authorityHost(m365.authorityHost())
        .trust(m365.sslContext())
        .build();
  }
}
