/**
 * Micrometer meters for the SDK: {@link org.o365mail.micrometer.O365MailMetrics} is a {@code MeterBinder} whose
 * listeners, connector decorator and secret-expiry gauges put imports, tokens, requests and secrets on a {@code
 * MeterRegistry}, with no mailbox address in a tag unless {@link org.o365mail.micrometer.MailboxTagging} says so.
 */
package org.o365mail.micrometer;
