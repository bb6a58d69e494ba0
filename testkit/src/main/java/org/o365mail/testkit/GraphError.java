package org.o365mail.testkit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Graph failure as Graph reports it: an HTTP status, the {@code error.code} and {@code error.message} of the
 * JSON error body, and any headers it comes with ({@code Retry-After}, {@code WWW-Authenticate}, {@code
 * Location}). Thrown inside the Graph stand-in and turned into a response by {@link GraphServer}; never carries
 * a token.
 */
final class GraphError extends Exception {
  private static final long serialVersionUID = 1L;

  static final String NOT_FOUND_MESSAGE = "The specified object was not found in the store.";
  static final String ACCESS_DENIED_MESSAGE = "Access is denied. Check credentials and try again.";

  final int status;
  final String code;
  final transient Map<String, String> headers = new LinkedHashMap<>();
  /** Members added next to {@code error} in the body (an upload session's {@code nextExpectedRanges}). */
  final transient ObjectNode extra;

  GraphError(int status, String code, String message) {
    this(status, code, message, null);
  }

  GraphError(int status, String code, String message, ObjectNode extra) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }

  GraphError header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** 404 {@code ErrorItemNotFound}: a message, folder or attachment id that is not in the mailbox. */
  static GraphError itemNotFound() {
    return new GraphError(404, "ErrorItemNotFound", NOT_FOUND_MESSAGE);
  }

  /** 403 {@code ErrorAccessDenied}: the token's permissions do not cover the request. */
  static GraphError accessDenied() {
    return new GraphError(403, "ErrorAccessDenied", ACCESS_DENIED_MESSAGE);
  }

  /** 400 {@code BadRequest}. */
  static GraphError badRequest(String message) {
    return new GraphError(400, "BadRequest", message);
  }

  /** 400 for a body that is not JSON, with Graph's wording (the parser's reason is not echoed). */
  static GraphError unreadableJson() {
    return badRequest(
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON"
            + " format.");
  }

  /** 413 {@code RequestEntityTooLarge}. */
  static GraphError tooLarge(String message) {
    return new GraphError(413, "RequestEntityTooLarge", message);
  }

  /** 405 for a method the resource does not take. */
  static GraphError methodNotAllowed() {
    return new GraphError(405, "BadRequest", "Specified HTTP method is not allowed for the request target.");
  }

  /** 400 for a path Graph has no resource for. */
  static GraphError noResource(String segment) {
    return badRequest("Resource not found for the segment '" + segment + "'.");
  }
}
