package org.o365mail.importer;

/**
 * What one import cycle did.
 *
 * @param imported messages the handler accepted
 * @param skipped messages already handled before (after a restart or a re-sync)
 * @param parked messages parked after the handler refused them on every attempt
 * @param completed whether every folder was read to its end (false when stopped early or after a failure)
 */
public record ImportResult(int imported, int skipped, int parked, boolean completed) {
  ImportResult plus(ImportResult other) {
    return new ImportResult(imported + other.imported, skipped + other.skipped, parked + other.parked,
        completed && other.completed);
  }

  /** The same counts, not completed (stopped early or ended by a failure). */
  ImportResult unfinished() {
    return new ImportResult(imported, skipped, parked, false);
  }
}
