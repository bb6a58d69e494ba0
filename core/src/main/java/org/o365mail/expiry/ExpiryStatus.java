package org.o365mail.expiry;

/** How close a credential is to its end date, from harmless to broken. */
public enum ExpiryStatus {
  /** More than the warning threshold left. */
  OK(0),
  /** No end date is known: itself a warning, since the outage will come unannounced. */
  UNKNOWN(1),
  /** Less than the warning threshold (default 30 days) left. */
  WARNING(2),
  /** Less than the critical threshold (default 7 days) left. */
  CRITICAL(3),
  /** Past its end date, or rejected by Entra ID as expired. */
  EXPIRED(4),
  /**
   * Rejected by Entra ID as not a valid value at all (AADSTS7000215: a wrong value, or the Secret ID pasted instead
   * of the Value): as broken as EXPIRED, but no end date applies, so none is shown.
   */
  INVALID(4);

  private final int severity;

  ExpiryStatus(int severity) {
    this.severity = severity;
  }

  /** 0 (OK) to 4 (EXPIRED, INVALID); UNKNOWN counts like a warning, below it. */
  public int severity() {
    return severity;
  }

  public static ExpiryStatus worst(ExpiryStatus a, ExpiryStatus b) {
    return a.severity >= b.severity ? a : b;
  }
}
