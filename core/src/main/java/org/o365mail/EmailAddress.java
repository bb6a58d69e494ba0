package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Optional;

/**
 * An email address with an optional display name.
 *
 * @param address the address, such as {@code invoices@contoso.com}
 * @param displayName the display name, when there is one
 */
public record EmailAddress(String address, Optional<String> displayName) {
  public EmailAddress {
    requireNonNull(address, "address");
    address = address.trim();
    if (address.isEmpty() || address.indexOf('@') <= 0 || address.indexOf('@') == address.length() - 1) {
      throw new IllegalArgumentException("'" + address + "' is not an email address");
    }
    requireNonNull(displayName, "displayName");
    displayName = displayName.map(String::trim).filter(n -> !n.isEmpty());
  }

  /** An address without a display name. */
  public static EmailAddress of(String address) {
    return new EmailAddress(address, Optional.empty());
  }

  /** An address with a display name; a {@code null} or blank {@code name} is none. */
  public static EmailAddress of(String address, String name) {
    return new EmailAddress(address, Optional.ofNullable(name));
  }

  /** The address in lower case, for comparisons. */
  public String normalized() {
    return address.toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return displayName.map(n -> n + " <" + address + ">").orElse(address);
  }
}
