package org.o365mail.expiry;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.o365mail.internal.Json;

/**
 * The expiry status of every tracked credential at one moment, for people ({@link #toText()}), machines
 * ({@link #toJson()}) and health checks ({@link #overall()}). Holds no secret material.
 *
 * @param checkedAt when the statuses were computed
 * @param credentials one entry per credential, worst first
 * @param overall the worst status, {@link ExpiryStatus#OK} when nothing is tracked
 */
public record ExpiryReport(Instant checkedAt, List<CredentialStatus> credentials, ExpiryStatus overall) {
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  public ExpiryReport {
    requireNonNull(checkedAt, "checkedAt");
    requireNonNull(overall, "overall");
    credentials = List.copyOf(credentials);
  }

  /** A table for people: credential, app, end date, days left, status, what to do. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append("Credential expiry, checked ").append(DATE.format(checkedAt)).append(": ").append(overall).append('\n');
    if (credentials.isEmpty()) {
      sb.append("  (no credentials tracked)\n");
    }
    for (CredentialStatus c : credentials) {
      sb.append(String.format(Locale.ROOT, "  %-9s %s of app %s%s%n", c.status(), c.label(), c.appId(),
          c.description().map(d -> " \"" + d + "\"").orElse("")));
      sb.append("            expires: ").append(c.expiresAt().map(DATE::format)
          .orElse(c.status() == ExpiryStatus.INVALID ? "does not apply (the value is not valid)" : "unknown"));
      c.daysLeft().ifPresent(d -> sb.append(" (").append(d < 0 ? -d + " days ago" : d + " days left").append(')'));
      sb.append(" [").append(c.source()).append(c.inUse() ? ", in use" : "").append(c.configured() ? "" : ", not configured here")
          .append("]\n");
      sb.append("            ").append(c.advice()).append('\n');
    }
    return sb.toString();
  }

  /** The same as JSON: {@code {"checkedAt":..,"overall":..,"credentials":[{..}]}}. */
  public String toJson() {
    Json.Writer w = new Json.Writer().startObject()
        .field("checkedAt", checkedAt.toString())
        .field("overall", overall.name());
    w.name("credentials").startArray();
    for (CredentialStatus c : credentials) {
      w.startObject()
          .field("label", c.label())
          .field("type", c.type().name())
          .field("appId", c.appId())
          .field("keyId", c.keyId().orElse(null))
          .field("description", c.description().orElse(null))
          .field("expiresAt", c.expiresAt().map(Instant::toString).orElse(null));
      w.name("daysLeft").untyped(c.daysLeft().orElse(null));
      w.field("status", c.status().name())
          .field("source", c.source())
          .field("configured", c.configured())
          .field("inUse", c.inUse())
          .field("advice", c.advice())
          .endObject();
    }
    w.endArray();
    return w.endObject().text();
  }
}
