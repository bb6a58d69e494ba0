package org.o365mail.auth;

/** The sign-in flow a failure happened in; diagnosis sometimes depends on it. */
enum AuthFlow {
  CLIENT_SECRET,
  CLIENT_CERTIFICATE,
  PASSWORD,
  DEVICE_CODE,
  INTERACTIVE,
  REFRESH,
  TOKEN_CREDENTIAL
}
