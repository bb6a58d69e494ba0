package org.o365mail.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The progress bar `import` draws on a terminal. */
class ImportProgressTest {
  private static final long FIVE_SECONDS = TimeUnit.SECONDS.toNanos(5);

  @Test
  void aBarAgainstTheFolderSize() {
    assertThat(ImportCommand.progressLine(450, 1_000, FIVE_SECONDS))
        .isEqualTo("[#############-----------------] 450 of 1,000 messages (90/s)");
    assertThat(ImportCommand.progressLine(0, 1_000, FIVE_SECONDS))
        .isEqualTo("[------------------------------] 0 of 1,000 messages (0/s)");
  }

  @Test
  void mailArrivingDuringTheImport_neverOverflowsTheBar() {
    assertThat(ImportCommand.progressLine(1_200, 1_000, FIVE_SECONDS))
        .isEqualTo("[##############################] 1,200 of 1,200 messages (240/s)");
  }

  @Test
  void aCompletedPass_fillsTheBar_evenWhenEarlierRunsImportedPartOfTheFolder() {
    assertThat(ImportCommand.progressLine(300, 1_000, FIVE_SECONDS, true))
        .isEqualTo("[##############################] 300 of 1,000 messages (60/s)");
  }

  @Test
  void withoutAFolderSize_aCount() {
    assertThat(ImportCommand.progressLine(450, -1, FIVE_SECONDS)).isEqualTo("Imported 450 messages (90/s)");
  }
}
