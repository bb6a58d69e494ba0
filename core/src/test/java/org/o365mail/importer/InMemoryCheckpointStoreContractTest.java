package org.o365mail.importer;

import org.o365mail.contract.CheckpointStoreContract;

/** The checkpoint store contract on {@link CheckpointStore#inMemory()}. */
class InMemoryCheckpointStoreContractTest extends CheckpointStoreContract {
  @Override
  protected CheckpointStore newStore() {
    return CheckpointStore.inMemory();
  }

  @Override
  protected CheckpointStore sameStorage(CheckpointStore s) {
    return s;
  }

  @Override
  protected boolean leasesExclude() {
    return false;
  }
}
