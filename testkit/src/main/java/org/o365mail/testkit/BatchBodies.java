package org.o365mail.testkit;

/**
 * How the Graph stand-in puts a body that is not JSON into a {@code $batch} answer, for {@link
 * Faults#graphBatchBodies(BatchBodies)}. The OData JSON Format v4.01 (section "Batch Requests and Responses", which
 * Graph's json-batching page says it implements) has three cases: a body of media type {@code application/json} is
 * JSON, a body of top-level type {@code text} is a plain string, anything else is a base64url string. Graph's
 * json-batching page itself only speaks of JSON objects and base64 URL-encoded values, and both shapes are seen for
 * {@code text/plain} answers such as a message's {@code $value}: base64 (microsoftgraph/msgraph-sdk-php-core#103,
 * microsoftgraph/msgraph-sdk-dotnet-core#22) and the raw text (postalsys/emailengine#490, "microsoft graph uses text
 * content type"). JSON answers are always JSON, and bodies of other media types (attachment {@code $value}) always
 * base64.
 *
 * <p>A raw text body is a JSON string, so only text that is valid UTF-8 can go that way exactly; a {@code $value}
 * whose bytes are not valid UTF-8 (8-bit mail in another charset) stays base64 in every mode. The docs do not say
 * what Graph does with such bytes.
 */
public enum BatchBodies {
  /** Base64 (standard alphabet), {@code headers} before {@code body}: what the stand-in always did. */
  BASE64,
  /** Text bodies as the raw string, with {@code body} before {@code headers} (a client must not rely on the order). */
  RAW_TEXT,
  /**
   * Each item drawn from the seeded generator: raw text or base64, base64 in the standard or the URL alphabet, and
   * {@code headers} before or after {@code body}.
   */
  MIXED
}
