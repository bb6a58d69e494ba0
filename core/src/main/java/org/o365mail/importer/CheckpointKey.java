package org.o365mail.importer;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * Names one imported folder: protocol, mailbox and folder path.
 *
 * @param protocol {@code graph} or {@code imap} (their sync states are not interchangeable)
 * @param mailbox the mailbox address
 * @param folder the folder path
 */
public record CheckpointKey(String protocol, String mailbox, String folder) {
  public CheckpointKey {
    requireNonNull(protocol, "protocol");
    requireNonNull(mailbox, "mailbox");
    requireNonNull(folder, "folder");
    mailbox = mailbox.toLowerCase(Locale.ROOT);
  }

  @Override
  public String toString() {
    return protocol + ":" + mailbox + "/" + folder;
  }
}
