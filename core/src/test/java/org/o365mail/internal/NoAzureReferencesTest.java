package org.o365mail.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Core's own classes name no {@code com.azure} type (azure-json still reaches the class path through MSAL; that is
 * MSAL's business, and core's file formats must not depend on it). Reads the constant pool of every compiled class:
 * class references, descriptors and signatures all live there.
 */
class NoAzureReferencesTest {
  @Test
  void noCoreClass_referencesAnAzureType() throws IOException, URISyntaxException {
    Path classes = Path.of(Json.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(classes).isDirectory();
    List<Path> files;
    try (Stream<Path> s = Files.walk(classes)) {
      files = s.filter(p -> p.toString().endsWith(".class")).toList();
    }
    assertThat(files).as("core's classes").hasSizeGreaterThan(50);
    TreeSet<String> offenders = new TreeSet<>();
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        for (String utf8 : utf8Constants(new DataInputStream(in))) {
          if (utf8.contains("com/azure/") || utf8.contains("com.azure.")) {
            offenders.add(classes.relativize(f) + ": " + utf8);
          }
        }
      }
    }
    assertThat(offenders).isEmpty();
  }

  @Test
  void theScan_seesReferencesInAConstantPool() throws IOException {
    // the scan itself works: this test class's own pool names Json and assertj
    try (InputStream in = NoAzureReferencesTest.class.getResourceAsStream("NoAzureReferencesTest.class")) {
      List<String> pool = utf8Constants(new DataInputStream(in));
      assertThat(pool).contains("org/o365mail/internal/Json").anyMatch(s -> s.contains("org/assertj/"));
    }
  }

  /** The CONSTANT_Utf8 entries of a class file (JVMS 4.4). */
  static List<String> utf8Constants(DataInputStream in) throws IOException {
    if (in.readInt() != 0xCAFEBABE) {
      throw new IOException("not a class file");
    }
    in.readUnsignedShort();
    in.readUnsignedShort();
    int count = in.readUnsignedShort();
    List<String> out = new ArrayList<>();
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> out.add(in.readUTF());
        case 7, 8, 16, 19, 20 -> in.skipBytes(2);
        case 15 -> in.skipBytes(3);
        case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
        case 5, 6 -> {
          in.skipBytes(8);
          i++;
        }
        default -> throw new IOException("unknown constant pool tag " + tag);
      }
    }
    return out;
  }
}
