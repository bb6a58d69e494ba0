package org.o365mail;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProtocolTest {

  @Test
  void idIsTheLowerCaseTextCheckpointsStoreAndOutputPrints() {
    assertThat(Protocol.GRAPH.id()).isEqualTo("graph");
    assertThat(Protocol.IMAP.id()).isEqualTo("imap");
    assertThat(Protocol.MEMORY.id()).isEqualTo("memory");
    assertThat("over " + Protocol.IMAP).isEqualTo("over imap");
  }
}
