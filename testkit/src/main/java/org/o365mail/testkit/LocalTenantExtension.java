package org.o365mail.testkit;

import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that starts a {@link LocalTenant} before the test class and stops it after. Register it
 * on a static field and use {@link #tenant()} or a {@code LocalTenant} parameter:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LocalTenantExtension m365 = LocalTenantExtension.create();
 *
 * @Test
 * void importsMail(LocalTenant tenant) { ... }
 * }</pre>
 *
 * Used with {@code @ExtendWith(LocalTenantExtension.class)} it starts one with default settings. Faults are
 * reset and recorded requests cleared before each test class, not between tests.
 */
public final class LocalTenantExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
  private final LocalTenant.Builder builder;
  private final Consumer<LocalTenant> setup;
  private volatile LocalTenant tenant;

  /** For {@code @ExtendWith}: default settings. */
  public LocalTenantExtension() {
    this(LocalTenant.builder(), t -> {});
  }

  private LocalTenantExtension(LocalTenant.Builder builder, Consumer<LocalTenant> setup) {
    this.builder = Objects.requireNonNull(builder, "builder");
    this.setup = Objects.requireNonNull(setup, "setup");
  }

  public static LocalTenantExtension create() {
    return new LocalTenantExtension();
  }

  /** Starts from {@code builder}'s settings and runs {@code setup} once the tenant is up (to model tenants). */
  public static LocalTenantExtension create(LocalTenant.Builder builder, Consumer<LocalTenant> setup) {
    return new LocalTenantExtension(builder, setup);
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
    tenant = builder.start();
    setup.accept(tenant);
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
