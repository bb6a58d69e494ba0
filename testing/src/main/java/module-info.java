/**
 * For users' tests: {@link org.o365mail.testing.InMemoryMailboxConnector}, a connector over an in-memory mailbox,
 * and {@link org.o365mail.testing.MailboxConnectorContract}, the JUnit 5 suite every {@code MailboxConnector}
 * passes. JUnit's API is part of this module's signatures on purpose.
 */
module org.o365mail.testing {
  requires transitive org.o365mail;
  requires transitive org.junit.jupiter.api;

  exports org.o365mail.testing;
  // JUnit discovers and runs the contract's inherited test methods by reflection
  opens org.o365mail.testing to org.junit.platform.commons;
}
