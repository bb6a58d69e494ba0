package org.o365mail.testkit;

import java.time.Instant;

/**
 * A message as the local tenant stores it: where it is (mailbox, folder path, IMAP UID), its Graph id
 * (immutable while Graph moves it), and the headers tests look for.
 *
 * @param mailbox mailbox address
 * @param folder folder path with {@code /} between levels, such as {@code Inbox/Invoices}
 * @param uid the IMAP UID in that folder
 * @param id the Graph message id
 * @param internetMessageId the {@code Message-ID} header, or empty when the message has none
 * @param subject the subject, or empty
 * @param seen whether the {@code \Seen} flag (Graph {@code isRead}) is set
 * @param size size of the MIME message in bytes
 * @param receivedDateTime when the mailbox received it
 */
public record StoredMail(
    String mailbox,
    String folder,
    long uid,
    String id,
    String internetMessageId,
    String subject,
    boolean seen,
    long size,
    Instant receivedDateTime) {}
