package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/**
 * What to show the user for a device-code sign-in: the code, the page to enter it on, and until when.
 *
 * @param userCode the code the user types, such as {@code F7KQ-2MWX}
 * @param verificationUri the page ({@code https://microsoft.com/devicelogin} in the global cloud)
 * @param expiresAt when the code stops working (15 minutes after issue by default)
 * @param interval how often the SDK polls
 * @param message Entra ID's ready-made sentence for the user
 */
public record DeviceCodeChallenge(String userCode, URI verificationUri, Instant expiresAt, Duration interval, String message) {
  public DeviceCodeChallenge {
    requireNonNull(userCode, "userCode");
    requireNonNull(verificationUri, "verificationUri");
    requireNonNull(expiresAt, "expiresAt");
    requireNonNull(interval, "interval");
    message = message == null
        ? "To sign in, open " + verificationUri + " and enter the code " + userCode + "."
        : message;
  }
}
