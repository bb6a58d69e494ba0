package org.o365mail.doctor;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The outcome of a {@link ConnectionDoctor} examination.
 *
 * @param checks the checks in the order they ran
 * @param elapsed how long it took
 */
public record DoctorReport(List<DoctorCheck> checks, Duration elapsed) {
  public DoctorReport {
    checks = List.copyOf(checks);
  }

  /** The worst outcome: FAIL over WARN over PASS (skipped checks do not count). */
  public DoctorCheck.Status overall() {
    if (checks.stream().anyMatch(c -> c.status() == DoctorCheck.Status.FAIL)) {
      return DoctorCheck.Status.FAIL;
    }
    if (checks.stream().anyMatch(c -> c.status() == DoctorCheck.Status.WARN)) {
      return DoctorCheck.Status.WARN;
    }
    return DoctorCheck.Status.PASS;
  }

  /** The first failed check, whose diagnosis names the step to fix. */
  public Optional<DoctorCheck> firstFailure() {
    return checks.stream().filter(c -> c.status() == DoctorCheck.Status.FAIL).findFirst();
  }

  /** 0 all passed, 1 warnings, 2 failures (the exit code of {@code o365mail doctor}). */
  public int exitCode() {
    return switch (overall()) {
      case FAIL -> 2;
      case WARN -> 1;
      default -> 0;
    };
  }
}
