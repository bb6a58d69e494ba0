/**
 * The Spring Boot starter: connections declared under {@code o365mail.connections.<name>} with the CLI's keys,
 * beans for their credentials and connectors, an import scheduler, importers whose handler is the application's
 * {@link org.o365mail.importer.MessageHandler} bean, started after the context is refreshed and closed gracefully on
 * shutdown, and an Actuator health contributor {@code o365mail} with one indicator per mailbox (Boot 3 and Boot 4).
 */
package org.o365mail.spring;
