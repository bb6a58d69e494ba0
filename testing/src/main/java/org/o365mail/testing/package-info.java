/**
 * For users' tests of code that uses a {@link org.o365mail.MailboxConnector} (artifact {@code o365-mail-testing}, test
 * scope): {@link org.o365mail.testing.InMemoryMailboxConnector}, a mailbox in memory to run such code against, and
 * {@link org.o365mail.testing.MailboxConnectorContract}, the JUnit 5 suite of what every connector promises, to run
 * against a connector of one's own (or a decorator over the SDK's) with a fixture of one's own.
 *
 * <pre>{@code
 * InMemoryMailboxConnector inbox = InMemoryMailboxConnector.builder().mailbox("invoices@contoso.com").build();
 * inbox.deliver(rfc822Bytes);
 * new InvoiceImport(inbox).run();                            // the code under test
 * assertTrue(inbox.contents(FolderRef.INBOX).get(0).read());
 * }</pre>
 *
 * <p>Needs {@code o365-mail-core} and the JUnit Jupiter API, nothing else; for tests against the protocols as
 * Microsoft runs them, use the local tenant of {@code o365-mail-testkit}.
 */
package org.o365mail.testing;
