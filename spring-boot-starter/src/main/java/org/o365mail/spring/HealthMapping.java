package org.o365mail.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.o365mail.Diagnosis;
import org.o365mail.importer.HealthState;

/**
 * How an import's {@link HealthState} reads in Actuator, the same on Boot 3 and 4. UP: importing ({@code HEALTHY}),
 * importing with a secret that expires soon ({@code SECRET_EXPIRING}) and waiting on the service's throttling
 * ({@code THROTTLED}, which resumes by itself: restarting would not help). DOWN: a person must act ({@code
 * AUTHENTICATION_REQUIRED}, {@code CONSENT_REQUIRED}, {@code SECRET_EXPIRED}, {@code MAILBOX_ACCESS_DENIED}) or the
 * service cannot be reached ({@code DEGRADED}, retried with back-off). OUT_OF_SERVICE: not importing ({@code
 * STOPPED}); UNKNOWN: another instance of the cluster imports the mailbox. The details carry the state, the mailbox,
 * since when, when it is retried and the diagnosis: the setup step, where it is set, the service's code, what
 * happened and the fix.
 */
final class HealthMapping {
  static final String UP = "UP";
  static final String DOWN = "DOWN";
  static final String OUT_OF_SERVICE = "OUT_OF_SERVICE";
  static final String UNKNOWN = "UNKNOWN";

  private HealthMapping() {}

  static String status(HealthState s, boolean elsewhere) {
    if (elsewhere) {
      return UNKNOWN;
    }
    return switch (s.health()) {
      case HEALTHY, SECRET_EXPIRING, THROTTLED -> UP;
      case STOPPED -> OUT_OF_SERVICE;
      case AUTHENTICATION_REQUIRED, CONSENT_REQUIRED, SECRET_EXPIRED, MAILBOX_ACCESS_DENIED, DEGRADED -> DOWN;
    };
  }

  static Map<String, Object> details(HealthState s, boolean elsewhere) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("mailbox", s.mailbox());
    d.put("state", elsewhere ? "IMPORTED_BY_ANOTHER_INSTANCE" : s.health().name());
    d.put("since", s.since().toString());
    s.retryAt().ifPresent(t -> d.put("retryAt", t.toString()));
    s.diagnosis().ifPresent(diagnosis -> d.putAll(diagnosis(diagnosis)));
    return d;
  }

  private static Map<String, Object> diagnosis(Diagnosis x) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("setupStep", x.setupStep().title());
    d.put("where", x.setupStep().where());
    d.put("serviceCode", x.serviceCode());
    d.put("summary", x.summary());
    d.put("fix", x.fix());
    d.put("retryable", x.retryable());
    x.command().ifPresent(c -> d.put("command", c));
    x.correlationId().ifPresent(c -> d.put("correlationId", c));
    return d;
  }
}
