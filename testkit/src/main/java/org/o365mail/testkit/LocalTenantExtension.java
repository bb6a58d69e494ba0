package org.o365mail.testkit;

import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that starts a {@link LocalTenant} before the test class and stops it after. Register it
 * on a static field and use {@link #tenant()} or a {@code LocalTenant} parameter:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalTenantExtension m365 = LocalTenantExtension.create(
 *     LocalTenant.builder().seed(7), tenant -> tenant.createTenant("contoso.com"))
 *     .withFaults(faults -> faults.imapAdvertiseMove(false));
 *
 * @Test
 * void importsMail(LocalTenant tenant) { ... }
 * }</pre>
 *
 * <p>Used with {@code @ExtendWith(LocalTenantExtension.class)} it starts one with default settings.
 *
 * <p>Every test starts alike: before each test the faults are set back to how the tenant started (the builder's
 * settings, such as {@link LocalTenant.Builder#contract()} or a request window, then the class's standing faults
 * from {@link #withFaults(Consumer)}) and the recorded requests and commands are cleared; after each test the faults
 * are set back again, so that nothing a test set reaches the class's after-all methods. What the test itself sets in
 * its own before-each methods applies on top, as those run after this extension's. The tenant's directory and
 * mailboxes are not reset: {@code setup} models them once for the class.
 *
 * <p>Thread-safe to the extent JUnit needs: the running tenant is published through a volatile field.
 */
public final class LocalTenantExtension
    implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback, ParameterResolver {
  private final LocalTenant.Builder builder;
  private final Consumer<LocalTenant> setup;
  private final Consumer<Faults> standingFaults;
  private volatile LocalTenant tenant;

  /** For {@code @ExtendWith}: default settings. */
  public LocalTenantExtension() {
    this(LocalTenant.builder(), t -> {}, f -> {});
  }

  private LocalTenantExtension(LocalTenant.Builder builder, Consumer<LocalTenant> setup, Consumer<Faults> faults) {
    this.builder = Objects.requireNonNull(builder, "builder");
    this.setup = Objects.requireNonNull(setup, "setup");
    this.standingFaults = Objects.requireNonNull(faults, "faults");
  }

  public static LocalTenantExtension create() {
    return new LocalTenantExtension();
  }

  /** Starts from {@code builder}'s settings. */
  public static LocalTenantExtension create(LocalTenant.Builder builder) {
    return new LocalTenantExtension(builder, t -> {}, f -> {});
  }

  /** Default settings; runs {@code setup} once the tenant is up (to model tenants), once for the class. */
  public static LocalTenantExtension create(Consumer<LocalTenant> setup) {
    return new LocalTenantExtension(LocalTenant.builder(), setup, f -> {});
  }

  /** Starts from {@code builder}'s settings and runs {@code setup} once the tenant is up (to model tenants). */
  public static LocalTenantExtension create(LocalTenant.Builder builder, Consumer<LocalTenant> setup) {
    return new LocalTenantExtension(builder, setup, f -> {});
  }

  /**
   * The faults every test of the class starts with, set right after the tenant starts (before {@code setup} and the
   * class's before-all methods, so tokens issued there see them) and again after each per-test reset.
   */
  public LocalTenantExtension withFaults(Consumer<Faults> faults) {
    return new LocalTenantExtension(builder, setup, faults);
  }

  /** The running tenant; only between the class's before-all and after-all. */
  public LocalTenant tenant() {
    LocalTenant t = tenant;
    if (t == null) {
      throw new IllegalStateException("the local tenant is not running outside the test class's lifecycle");
    }
    return t;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    LocalTenant started = builder.start();
    tenant = started;
    standingFaults.accept(started.faults());
    setup.accept(started);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    LocalTenant t = tenant();
    resetFaults(t);
    t.clearRecorded();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    LocalTenant t = tenant;
    if (t != null) {
      resetFaults(t);
    }
  }

  private void resetFaults(LocalTenant t) {
    t.resetFaultsToStart();
    standingFaults.accept(t.faults());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    LocalTenant t = tenant;
    tenant = null;
    if (t != null) {
      t.close();
    }
  }

  @Override
  public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return parameterContext.getParameter().getType() == LocalTenant.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
    return tenant();
  }
}
