package org.o365mail.auth;

import java.util.Set;

/**
 * What a diagnosis may need to know about the failed request.
 *
 * @param app the app registration
 * @param flow the flow
 * @param scopes the scopes that were asked for
 * @param secret the client secret sent, if any (only its shape and hint are used)
 * @param username the user signing in, if any
 */
record AuthContext(AppRegistration app, AuthFlow flow, Set<String> scopes, ClientSecret secret, String username) {
  public AuthContext {
    scopes = Set.copyOf(scopes);
  }

  public AuthContext withFlow(AuthFlow other) {
    return new AuthContext(app, other, scopes, secret, username);
  }
}
