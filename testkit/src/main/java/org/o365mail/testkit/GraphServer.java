package org.o365mail.testkit;

/** Placeholder until the real server lands. */
final class GraphServer implements AutoCloseable {
  GraphServer(LocalTenant tenant, int port) {}

  int port() {
    return 0;
  }

  @Override
  public void close() {}
}
