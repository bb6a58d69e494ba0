package org.o365mail.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.o365mail.SyncState;
import org.o365mail.auth.FileTokenStore;
import org.o365mail.importer.Checkpoint;
import org.o365mail.importer.CheckpointKey;
import org.o365mail.importer.DeadLetter;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.PendingAction;

/**
 * Files written by earlier versions (the checkpoint through azure-json, the token store's sealed file) are read
 * by this one, and a checkpoint is written byte for byte as before. The fixtures under {@code formats/} were
 * written by the code before the SDK had its own JSON.
 */
class StoredFormatsTest {
  /** Quotes, backslash, short escapes, other controls, DEL, non-ASCII, a surrogate pair, U+2028, HTML. */
  private static final String TRICKY = "quote\" back\\ slash/ tab\t nl\n cr\r bs\b ff\f ctl\u0001\u001f del\u007f"
      + " nbsp\u00a0 \u00e9 \u65e5\u672c emoji\uD83D\uDE00 ls\u2028 <&>'";

  @TempDir Path tmp;

  private static byte[] fixture(String name) throws IOException {
    try (InputStream in = StoredFormatsTest.class.getResourceAsStream("/formats/" + name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  @Test
  void checkpointFile_writtenByEarlierVersions_isReadWithEveryField_andWrittenAgainByteForByte() throws IOException {
    CheckpointKey key = new CheckpointKey("graph", "queue@contoso.com", "Inbox");
    Checkpoint expected = new Checkpoint(new SyncState("delta:" + TRICKY), Set.of("key-" + TRICKY), "in-" + TRICKY,
        List.of(new PendingAction("pk-" + TRICKY, "pid-" + TRICKY)),
        List.of(new DeadLetter("dk", "did-" + TRICKY, "subject " + TRICKY, 3, "error " + TRICKY,
            Instant.parse("2026-05-01T10:15:30.123Z"))),
        Instant.parse("2026-05-02T08:00:00Z"), List.of("i1-" + TRICKY, "i2"), List.of("g1", "g2-" + TRICKY));
    byte[] old = fixture("checkpoint-2026.json");
    try (FileCheckpointStore store = new FileCheckpointStore(tmp.resolve("read"))) {
      Files.write(store.checkpointFile(key), old);
      assertThat(store.load(key)).contains(expected);
    }
    try (FileCheckpointStore store = new FileCheckpointStore(tmp.resolve("write"))) {
      store.save(key, expected);
      assertThat(Files.readAllBytes(store.checkpointFile(key))).isEqualTo(old);
    }
  }

  @Test
  void tokenStoreFiles_writtenByEarlierVersions_areRead_plainAndSealed() throws IOException {
    byte[] cache = fixture("token-store-cache-2026.json");
    String name = "msal.c-id.contoso";
    // plaintext: the file is MSAL's cache as MSAL wrote it, which the store hands back untouched
    FileTokenStore plain = FileTokenStore.builder(tmp.resolve("plain")).build();
    plain.write(name, new byte[] {'x'});
    Path plainFile;
    try (var files = Files.list(plain.directory())) {
      plainFile = files.filter(p -> p.toString().endsWith(".json")).findFirst().orElseThrow();
    }
    Files.write(plainFile, cache);
    assertThat(plain.read(name)).hasValueSatisfying(v -> assertThat(v).isEqualTo(cache));

    // sealed under a key (AES-256-GCM): written by the earlier version with the key 00 01 .. 1f
    byte[] key = new byte[32];
    for (int i = 0; i < key.length; i++) {
      key[i] = (byte) i;
    }
    Path sealedDir = tmp.resolve("sealed");
    Files.createDirectories(sealedDir);
    Files.write(sealedDir.resolve("tokens-df0ab8deb2c6d9e241bcc26e95d0616d.enc"), fixture("token-store-2026.enc"));
    FileTokenStore sealed = FileTokenStore.builder(sealedDir).encryptionKey(key).build();
    assertThat(sealed.read(name)).hasValueSatisfying(v -> assertThat(v).isEqualTo(cache));
  }
}
