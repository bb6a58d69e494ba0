package org.o365mail.testkit;

/**
 * An error the identity endpoint answers with, shaped like Entra ID's: the OAuth {@code error}, the AADSTS
 * number and text, and the HTTP status.
 */
final class AadError extends Exception {
  private static final long serialVersionUID = 1L;

  final int status;
  final String error;
  final int code;
  final String suberror;

  AadError(int status, String error, int code, String message) {
    this(status, error, code, message, null);
  }

  AadError(int status, String error, int code, String message, String suberror) {
    super(message, null, false, false);
    this.status = status;
    this.error = error;
    this.code = code;
    this.suberror = suberror;
  }

  static AadError invalidRequest(int code, String message) {
    return new AadError(400, "invalid_request", code, message);
  }

  static AadError invalidGrant(int code, String message) {
    return new AadError(400, "invalid_grant", code, message);
  }

  static AadError invalidClient(int code, String message) {
    return new AadError(401, "invalid_client", code, message);
  }

  static AadError invalidScope(int code, String message) {
    return new AadError(400, "invalid_scope", code, message);
  }

  static AadError unauthorizedClient(int code, String message) {
    return new AadError(400, "unauthorized_client", code, message);
  }

  static AadError missingParameter(String name) {
    return invalidRequest(900144, "The request body must contain the following parameter: '" + name + "'.");
  }
}
