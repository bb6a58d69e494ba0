package org.o365mail.imap;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.CredentialKind;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;

/**
 * An app-only credential handing out one opaque (non-JWT) token, valid for an hour: for servers that take any
 * XOAUTH2 login, so that a test (or a child JVM) needs no identity server.
 */
final class OpaqueTokenCredential implements CredentialStrategy {
  static final String TOKEN = "opaque-test-token";

  private final AppRegistration app = AppRegistration.builder()
      .clientId("1b2c3d4e-0000-1111-2222-333344445555")
      .tenant("0f0e0d0c-0000-1111-2222-333344445555")
      .build();

  @Override
  public AccessToken token(TokenRequest request) {
    return new AccessToken(TOKEN, Instant.now().plus(1, ChronoUnit.HOURS));
  }

  @Override
  public CredentialKind kind() {
    return CredentialKind.APP_ONLY;
  }

  @Override
  public AppRegistration registration() {
    return app;
  }

  @Override
  public void invalidate(TokenRequest request) {}

  @Override
  public void close() {}
}
