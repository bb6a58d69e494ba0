package org.o365mail.internal;

/** The sign-in flow a failure happened in; diagnosis sometimes depends on it. */
public enum AuthFlow {
  CLIENT_SECRET,
  CLIENT_CERTIFICATE,
  PASSWORD,
  DEVICE_CODE,
  INTERACTIVE,
  REFRESH,
  TOKEN_CREDENTIAL
}
