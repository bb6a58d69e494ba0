package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Optional;

/**
 * An email address with an optional display name.
 *
 * @param address the address, such as {@code invoices@contoso.com}
 * @param name the display name, or {@code null}
 */
public record EmailAddress(String address, String name) {
  public EmailAddress {
    requireNonNull(address, "address");
    address = address.trim();
    if (address.isEmpty() || address.indexOf('@') <= 0 || address.indexOf('@') == address.length() - 1) {
      throw new IllegalArgumentException("'" + address + "' is not an email address");
    }
    name = name == null || name.isBlank() ? null : name.trim();
  }

  public static EmailAddress of(String address) {
    return new EmailAddress(address, null);
  }

  public static EmailAddress of(String address, String name) {
    return new EmailAddress(address, name);
  }

  public Optional<String> displayName() {
    return Optional.ofNullable(name);
  }

  /** The address in lower case, for comparisons. */
  public String normalized() {
    return address.toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return name == null ? address : name + " <" + address + ">";
  }
}
