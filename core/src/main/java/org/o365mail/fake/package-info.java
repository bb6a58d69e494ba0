/**
 * An in-memory mailbox for users' unit tests: {@link org.o365mail.fake.InMemoryMailboxConnector} is a {@link
 * org.o365mail.MailboxConnector} that reaches no service, with deliveries, scripted failures and the messages
 * sent kept for assertions. Thread-safe. For tests against the protocols as Microsoft runs them, use the local
 * tenant of {@code o365-mail-testkit}.
 */
package org.o365mail.fake;
