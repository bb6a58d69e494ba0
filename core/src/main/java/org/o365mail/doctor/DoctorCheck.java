package org.o365mail.doctor;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import org.o365mail.Diagnosis;

/**
 * One check of a {@link ConnectionDoctor} examination.
 *
 * @param name what was checked ("token acquired")
 * @param status the outcome
 * @param detail what was seen
 * @param diagnosis for a warning or failure, the setup step and fix
 */
public record DoctorCheck(String name, Status status, String detail, Diagnosis diagnosis) {
  /** Outcome of a check. */
  public enum Status {
    PASS,
    WARN,
    FAIL,
    /** Not run because an earlier check failed. */
    SKIPPED
  }

  public DoctorCheck {
    requireNonNull(name, "name");
    requireNonNull(status, "status");
    requireNonNull(detail, "detail");
  }

  static DoctorCheck pass(String name, String detail) {
    return new DoctorCheck(name, Status.PASS, detail, null);
  }

  static DoctorCheck warn(String name, String detail) {
    return new DoctorCheck(name, Status.WARN, detail, null);
  }

  static DoctorCheck warn(String name, String detail, Diagnosis diagnosis) {
    return new DoctorCheck(name, Status.WARN, detail, diagnosis);
  }

  static DoctorCheck fail(String name, String detail, Diagnosis diagnosis) {
    return new DoctorCheck(name, Status.FAIL, detail, requireNonNull(diagnosis, "diagnosis"));
  }

  static DoctorCheck skipped(String name) {
    return new DoctorCheck(name, Status.SKIPPED, "skipped: an earlier check failed", null);
  }

  public Optional<Diagnosis> why() {
    return Optional.ofNullable(diagnosis);
  }
}
