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
 * @param diagnosis the setup step and fix: always there for a failure, for a warning when one applies
 */
public record DoctorCheck(String name, Status status, String detail, Optional<Diagnosis> diagnosis) {
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
    requireNonNull(diagnosis, "diagnosis");
    if (status == Status.FAIL && diagnosis.isEmpty()) {
      throw new IllegalArgumentException("a failed check needs its diagnosis");
    }
  }

  static DoctorCheck pass(String name, String detail) {
    return new DoctorCheck(name, Status.PASS, detail, Optional.empty());
  }

  static DoctorCheck warn(String name, String detail) {
    return new DoctorCheck(name, Status.WARN, detail, Optional.empty());
  }

  static DoctorCheck warn(String name, String detail, Diagnosis diagnosis) {
    return new DoctorCheck(name, Status.WARN, detail, Optional.ofNullable(diagnosis));
  }

  static DoctorCheck fail(String name, String detail, Diagnosis diagnosis) {
    return new DoctorCheck(name, Status.FAIL, detail, Optional.of(requireNonNull(diagnosis, "diagnosis")));
  }

  static DoctorCheck skipped(String name) {
    return new DoctorCheck(name, Status.SKIPPED, "skipped: an earlier check failed", Optional.empty());
  }

  @Override
  public String toString() {
    return "DoctorCheck[name=" + name + ", status=" + status + ", detail=" + detail + ", diagnosis="
        + diagnosis.orElse(null) + "]";
  }
}
