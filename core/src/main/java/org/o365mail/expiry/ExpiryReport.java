package org.o365mail.expiry;

import static java.util.Objects.requireNonNull;

import com.azure.json.JsonProviders;
import com.azure.json.JsonWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

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
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonWriter w = JsonProviders.createWriter(out)) {
      w.writeStartObject();
      w.writeStringField("checkedAt", checkedAt.toString());
      w.writeStringField("overall", overall.name());
      w.writeStartArray("credentials");
      for (CredentialStatus c : credentials) {
        w.writeStartObject();
        w.writeStringField("label", c.label());
        w.writeStringField("type", c.type().name());
        w.writeStringField("appId", c.appId());
        w.writeUntypedField("keyId", c.keyId().orElse(null));
        w.writeUntypedField("description", c.description().orElse(null));
        w.writeUntypedField("expiresAt", c.expiresAt().map(Instant::toString).orElse(null));
        w.writeUntypedField("daysLeft", c.daysLeft().orElse(null));
        w.writeStringField("status", c.status().name());
        w.writeStringField("source", c.source());
        w.writeBooleanField("configured", c.configured());
        w.writeBooleanField("inUse", c.inUse());
        w.writeStringField("advice", c.advice());
        w.writeEndObject();
      }
      w.writeEndArray();
      w.writeEndObject();
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
