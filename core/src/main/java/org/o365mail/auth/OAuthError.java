package org.o365mail.auth;

import java.time.Duration;
import org.o365mail.ServiceText;

/** An OAuth error answer from the token or device-code endpoint, as the SDK's own HTTP client reads it. */
final class OAuthError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String error;
  private final String description;
  private final int status;
  private final String correlationId;
  private final transient Duration retryAfter;

  public OAuthError(int status, String error, String description, String correlationId, Duration retryAfter) {
    super(ServiceText.printable(error + ": " + description), null, false, false); // the server's CRLFs escaped
    this.status = status;
    this.error = error;
    this.description = description;
    this.correlationId = correlationId;
    this.retryAfter = retryAfter;
  }

  public String error() {
    return error;
  }

  public String description() {
    return description;
  }

  public int status() {
    return status;
  }

  public String correlationId() {
    return correlationId;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
