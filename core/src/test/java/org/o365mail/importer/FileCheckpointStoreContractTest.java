package org.o365mail.importer;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.contract.CheckpointStoreContract;

/** The checkpoint store contract on {@link FileCheckpointStore}. */
class FileCheckpointStoreContractTest extends CheckpointStoreContract {
  @TempDir Path dir;

  @Override
  protected CheckpointStore newStore() {
    return new FileCheckpointStore(dir);
  }

  @Override
  protected CheckpointStore sameStorage(CheckpointStore s) {
    return new FileCheckpointStore(dir);
  }

  @Override
  protected boolean leasesExclude() {
    return true;
  }
}
