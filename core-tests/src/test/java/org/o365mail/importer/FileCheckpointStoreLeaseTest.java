package org.o365mail.importer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lease of a {@link FileCheckpointStore} as an importer holds it. Moved from core's {@code
 * FileCheckpointStoreTest} with the in-memory connector it imports from, which core's tests cannot reach.
 */
class FileCheckpointStoreLeaseTest {
  private static final Duration TTL = Duration.ofMinutes(5);

  @TempDir Path tmp;

  @Test
  void aClosedImporter_releasesItsLease() {
    Path dir = tmp.resolve("importer");
    try (FileCheckpointStore store = new FileCheckpointStore(dir);
        FileCheckpointStore other = new FileCheckpointStore(dir)) {
      MailImporter importer = MailImporter.builder().connector(MailImporterTest.mailbox(3))
          .handler(new MailImporterTest.Recorder()).checkpointStore(store).build();
      assertThat(importer.runOnce().imported()).isEqualTo(3);
      assertThat(other.tryLease("box@contoso.com", "other", TTL)).as("held between passes").isFalse();

      MailImporter refused = MailImporter.builder().connector(MailImporterTest.mailbox(3))
          .handler(new MailImporterTest.Recorder()).checkpointStore(other).build();
      assertThat(refused.runOnce().imported()).as("the second importer does not import").isZero();
      refused.close();

      importer.close();
      assertThat(other.tryLease("box@contoso.com", "other", TTL)).isTrue();
    }
  }
}
