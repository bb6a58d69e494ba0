package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

/** Builds a strategy over a {@link TokenSource}. */
public final class TokenSourceBuilder extends StrategyBuilder<TokenSourceBuilder> {
  private final CredentialKind kind;
  private final TokenSource source;
  private String label;

  TokenSourceBuilder(AppRegistration app, CredentialKind kind, TokenSource source) {
    super(app);
    this.kind = requireNonNull(kind, "kind");
    this.source = requireNonNull(source, "source");
    this.label = source.getClass().getSimpleName();
  }

  /** How the source is named in listener events and logs (default its class's simple name); no secrets. */
  public TokenSourceBuilder label(String value) {
    requireNonNull(value, "label");
    if (value.isBlank()) {
      throw new IllegalArgumentException("label must not be blank");
    }
    this.label = value;
    return this;
  }

  public CredentialStrategy build() {
    return new TokenSourceStrategy(app, source, kind, label, settings());
  }
}
