package org.o365mail.internal;

import java.util.Set;
import org.o365mail.auth.AppRegistration;
import org.o365mail.auth.ClientSecret;

/**
 * What a diagnosis may need to know about the failed request.
 *
 * @param app the app registration
 * @param flow the flow
 * @param scopes the scopes that were asked for
 * @param secret the client secret sent, if any (only its shape and hint are used)
 * @param username the user signing in, if any
 */
public record AuthContext(AppRegistration app, AuthFlow flow, Set<String> scopes, ClientSecret secret, String username) {
  public AuthContext {
    scopes = Set.copyOf(scopes);
  }

  public AuthContext withFlow(AuthFlow other) {
    return new AuthContext(app, other, scopes, secret, username);
  }
}
