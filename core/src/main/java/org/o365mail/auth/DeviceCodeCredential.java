package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Device-code sign-in in two steps, for servers with an admin console: {@link #start()} returns the code to
 * show at once and polls in the background (every {@code interval}, 5 s slower after each {@code slow_down});
 * {@link #await(Duration)} or {@link #status()} follow it. After sign-in, tokens come from the refresh token
 * kept in the {@link TokenStore}, so a restart needs no new sign-in. Thread-safe.
 *
 * <pre>{@code
 * DeviceCodeCredential login = CredentialStrategy.deviceCode(app)
 *     .signInRequest(TokenRequest.imap())
 *     .tokenStore(FileTokenStore.builder(dir).build())
 *     .build();
 * DeviceCodeChallenge code = login.start();
 * console.show(code.message());
 * login.await(Duration.ofMinutes(15));
 * }</pre>
 */
public final class DeviceCodeCredential implements CredentialStrategy {
  private final DeviceCodeEngine engine;

  private DeviceCodeCredential(DeviceCodeEngine engine) {
    this.engine = engine;
  }

  /** Requests a new code and starts polling; cancels a pending earlier one. */
  public DeviceCodeChallenge start() {
    return engine.start();
  }

  /**
   * Waits for the started sign-in to finish.
   *
   * @return the token of the sign-in request
   * @throws org.o365mail.MailboxAuthenticationException declined, expired, refused (with diagnosis), or not
   *     done within {@code timeout} (the sign-in then goes on: await again or {@link #cancel()})
   */
  public AccessToken await(Duration timeout) {
    return engine.await(requireNonNull(timeout, "timeout"));
  }

  /** {@link #start()}, hand the challenge to {@code prompt}, then {@link #await(Duration)}. */
  public AccessToken signIn(Consumer<DeviceCodeChallenge> prompt, Duration timeout) {
    DeviceCodeChallenge challenge = start();
    prompt.accept(challenge);
    return await(timeout);
  }

  public SignInStatus status() {
    return engine.status();
  }

  /** The pending challenge, while one is pending. */
  public Optional<DeviceCodeChallenge> challenge() {
    return engine.challenge();
  }

  /** Stops polling a pending sign-in. */
  public void cancel() {
    engine.cancel();
  }

  /** Whether the token store holds a sign-in (so {@link #token} works without user interaction). */
  public boolean isSignedIn() {
    return engine.isSignedIn();
  }

  /** Forgets the stored sign-in. */
  public void signOut() {
    engine.signOut();
  }

  @Override
  public AccessToken token(TokenRequest request) {
    return engine.token(request);
  }

  @Override
  public CredentialKind kind() {
    return CredentialKind.DELEGATED;
  }

  @Override
  public AppRegistration registration() {
    return engine.registration();
  }

  @Override
  public void invalidate(TokenRequest request) {
    engine.invalidate(request);
  }

  @Override
  public void close() {
    engine.close();
  }

  @Override
  public String toString() {
    return "DeviceCodeCredential[" + engine.registration() + ", " + status() + "]";
  }

  /** A builder for a sign-in with {@code app}'s registration. */
  public static Builder builder(AppRegistration app) {
    return new Builder(app);
  }

  /** Builds a {@link DeviceCodeCredential}. Needs "Allow public client flows" on the registration. */
  public static final class Builder extends CredentialStrategy.Builder<Builder> {
    private TokenRequest signInRequest = TokenRequest.graph("User.Read");
    private String accountName;

    Builder(AppRegistration app) {
      super(app);
    }

    /** What the user consents to at sign-in (default Graph {@code User.Read}); other resources follow silently. */
    public Builder signInRequest(TokenRequest request) {
      this.signInRequest = requireNonNull(request, "signInRequest");
      return this;
    }

    /** Where the sign-in is kept (default memory: lost on restart). */
    public Builder tokenStore(TokenStore store) {
      return tokenStoreInternal(store);
    }

    /** Names the stored sign-in, for one store holding several (default "default"). */
    public Builder accountName(String name) {
      this.accountName = requireNonNull(name, "accountName");
      return this;
    }

    public DeviceCodeCredential build() {
      return new DeviceCodeCredential(new DeviceCodeEngine(app, signInRequest, accountName, settings()));
    }
  }
}
