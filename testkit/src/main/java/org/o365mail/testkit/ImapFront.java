package org.o365mail.testkit;

/** Placeholder until the real server lands. */
final class ImapFront implements AutoCloseable {
  ImapFront(LocalTenant tenant, int port) {}

  int port() {
    return 0;
  }

  @Override
  public void close() {}
}
