/**
 * A Microsoft 365 tenant on loopback for tests: {@link org.o365mail.testkit.LocalTenant} runs an Entra ID token
 * endpoint, Microsoft Graph, Exchange Online IMAP and SMTP submission on 127.0.0.1, sharing one mailbox store, that
 * behave and fail the way Microsoft's do for each setup step. Model the directory with {@link
 * org.o365mail.testkit.Tenant}, {@link org.o365mail.testkit.Application} and {@link org.o365mail.testkit.Mailbox},
 * inject failures with {@link org.o365mail.testkit.Faults}, drive time with {@link org.o365mail.testkit.TestClock},
 * and look at what was asked with {@link org.o365mail.testkit.RecordedRequest}s. {@link
 * org.o365mail.testkit.LocalTenantExtension} starts one for a JUnit 5 test class (the only place JUnit types
 * appear). The testkit uses no module of the SDK, so it tests any client, not only this one.
 *
 * <p>A tenant and its model are thread-safe; servers reach nothing but loopback.
 */
package org.o365mail.testkit;
