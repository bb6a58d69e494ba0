package org.o365mail.expiry;

import static java.util.Objects.requireNonNull;

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
      sb.append("            expires: ").append(c.expiresAt().map(DATE::format).orElse("unknown"));
      c.daysLeft().ifPresent(d -> sb.append(" (").append(d < 0 ? -d + " days ago" : d + " days left").append(')'));
      sb.append(" [").append(c.source()).append(c.inUse() ? ", in use" : "").append(c.configured() ? "" : ", not configured here")
          .append("]\n");
      sb.append("            ").append(c.advice()).append('\n');
    }
    return sb.toString();
  }

  /** The same as JSON: {@code {"checkedAt":..,"overall":..,"credentials":[{..}]}}. */
  public String toJson() {
    StringBuilder sb = new StringBuilder();
    sb.append("{\"checkedAt\":").append(str(checkedAt.toString()));
    sb.append(",\"overall\":").append(str(overall.name()));
    sb.append(",\"credentials\":[");
    for (int i = 0; i < credentials.size(); i++) {
      CredentialStatus c = credentials.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"label\":").append(str(c.label()));
      sb.append(",\"type\":").append(str(c.type().name()));
      sb.append(",\"appId\":").append(str(c.appId()));
      sb.append(",\"keyId\":").append(c.keyId().map(ExpiryReport::str).orElse("null"));
      sb.append(",\"description\":").append(c.description().map(ExpiryReport::str).orElse("null"));
      sb.append(",\"expiresAt\":").append(c.expiresAt().map(t -> str(t.toString())).orElse("null"));
      sb.append(",\"daysLeft\":").append(c.daysLeft().map(String::valueOf).orElse("null"));
      sb.append(",\"status\":").append(str(c.status().name()));
      sb.append(",\"source\":").append(str(c.source()));
      sb.append(",\"configured\":").append(c.configured());
      sb.append(",\"inUse\":").append(c.inUse());
      sb.append(",\"advice\":").append(str(c.advice()));
      sb.append('}');
    }
    sb.append("]}");
    return sb.toString();
  }

  private static String str(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
