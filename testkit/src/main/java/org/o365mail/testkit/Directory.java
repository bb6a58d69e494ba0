package org.o365mail.testkit;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** All tenants of one local tenant instance, and what the servers look up across them. */
final class Directory {
  private final TestClock clock;
  private final Faults faults;
  private final MailStore mailStore;
  private final Map<String, Tenant> tenantsById = new ConcurrentHashMap<>();
  private final Map<String, Tenant> tenantsByDomain = new ConcurrentHashMap<>();
  private final Map<String, Application> applications = new ConcurrentHashMap<>();
  private final Map<String, Mailbox> mailboxes = new ConcurrentHashMap<>();

  Directory(TestClock clock, Faults faults, MailStore mailStore) {
    this.clock = clock;
    this.faults = faults;
    this.mailStore = mailStore;
  }

  TestClock clock() {
    return clock;
  }

  Faults faults() {
    return faults;
  }

  MailStore mailStore() {
    return mailStore;
  }

  Tenant createTenant(String primaryDomain, String tenantId) {
    String id = tenantId == null ? UUID.randomUUID().toString() : Tenant.lower(tenantId);
    try {
      UUID.fromString(id);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("tenant id must be a GUID, was " + tenantId, e);
    }
    Tenant tenant = new Tenant(this, id, primaryDomain);
    if (tenantsById.putIfAbsent(id, tenant) != null) {
      throw new IllegalArgumentException("tenant " + id + " exists already");
    }
    claimDomain(tenant, tenant.primaryDomain());
    return tenant;
  }

  void claimDomain(Tenant tenant, String domain) {
    Tenant other = tenantsByDomain.putIfAbsent(domain, tenant);
    if (other != null && other != tenant) {
      throw new IllegalArgumentException("domain " + domain + " belongs to tenant " + other.id());
    }
  }

  /** The tenant named by a GUID or one of its domains. */
  Optional<Tenant> tenant(String idOrDomain) {
    String key = Tenant.lower(idOrDomain);
    Tenant byId = tenantsById.get(key);
    return byId != null ? Optional.of(byId) : Optional.ofNullable(tenantsByDomain.get(key));
  }

  Collection<Tenant> tenants() {
    return List.copyOf(tenantsById.values());
  }

  void registerApplication(Application app) {
    if (applications.putIfAbsent(Tenant.lower(app.clientId()), app) != null) {
      throw new IllegalArgumentException("client id " + app.clientId() + " is registered already");
    }
  }

  Application application(String clientId) {
    return clientId == null ? null : applications.get(Tenant.lower(clientId));
  }

  void registerMailbox(Mailbox mailbox) {
    mailboxes.put(mailbox.address(), mailbox);
  }

  Optional<Mailbox> mailbox(String address) {
    return Optional.ofNullable(mailboxes.get(Tenant.lower(address)));
  }

  /** The tenant whose domain the user name is in. */
  Optional<Tenant> tenantOfUser(String userPrincipalName) {
    int at = userPrincipalName.lastIndexOf('@');
    return at < 0 ? Optional.empty() : Optional.ofNullable(tenantsByDomain.get(Tenant.lower(userPrincipalName.substring(at + 1))));
  }
}
