package org.o365mail.auth;

/** Where a two-step sign-in (device code) stands. */
public enum SignInStatus {
  NOT_STARTED,
  /** The code was issued; the user has not finished. */
  PENDING,
  SIGNED_IN,
  /** The user declined. */
  DECLINED,
  /** The code expired before the user finished. */
  EXPIRED,
  CANCELLED,
  /** Entra ID refused (consent missing, app misconfigured...): see the failure's diagnosis. */
  FAILED
}
