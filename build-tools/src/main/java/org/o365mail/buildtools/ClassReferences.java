package org.o365mail.buildtools;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The classes that compiled classes refer to, read from their class files without loading them: the class entries
 * of each constant pool (every class instantiated, called, cast to or caught) and the types in the descriptors of
 * its fields, methods and the members it refers to. Generic signatures and annotations are not read.
 *
 * <p>Stateless; thread-safe.
 */
public final class ClassReferences {

  private static final Pattern OBJECT_TYPE = Pattern.compile("L([^;<]+);");

  private ClassReferences() {}

  /**
   * For each class under {@code classesDir} (binary name), the classes it refers to (binary names, arrays by element
   * type) that match {@code filter}; classes with no such reference are left out.
   */
  public static SortedMap<String, SortedSet<String>> of(Path classesDir, Predicate<String> filter) {
    SortedMap<String, SortedSet<String>> out = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(classesDir)) {
      files = s.filter(p -> p.toString().endsWith(".class")).sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path f : files) {
      try (InputStream in = Files.newInputStream(f)) {
        ClassFile c = read(in);
        SortedSet<String> refs = c.references.stream().filter(r -> !r.equals(c.name)).filter(filter)
            .collect(Collectors.toCollection(TreeSet::new));
        if (!refs.isEmpty()) {
          out.put(c.name, refs);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + f, e);
      }
    }
    return out;
  }

  private record ClassFile(String name, SortedSet<String> references) {}

  private static ClassFile read(InputStream stream) throws IOException {
    DataInputStream in = new DataInputStream(stream);
    if (in.readInt() != 0xCAFEBABE) {
      throw new IOException("not a class file");
    }
    in.readUnsignedShort();
    in.readUnsignedShort();
    int count = in.readUnsignedShort();
    String[] utf8 = new String[count];
    int[] classNameIndex = new int[count];
    List<Integer> descriptorIndexes = new ArrayList<>();
    for (int i = 1; i < count; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> utf8[i] = in.readUTF();
        case 3, 4 -> in.readInt();
        case 5, 6 -> {
          in.readLong();
          i++;
        }
        case 7 -> classNameIndex[i] = in.readUnsignedShort();
        case 8, 19, 20 -> in.readUnsignedShort();
        case 16 -> descriptorIndexes.add(in.readUnsignedShort());
        case 12 -> {
          in.readUnsignedShort();
          descriptorIndexes.add(in.readUnsignedShort());
        }
        case 9, 10, 11, 17, 18 -> in.readInt();
        case 15 -> {
          in.readUnsignedByte();
          in.readUnsignedShort();
        }
        default -> throw new IOException("unknown constant pool tag " + tag);
      }
    }
    SortedSet<String> refs = new TreeSet<>();
    for (int i = 1; i < count; i++) {
      if (classNameIndex[i] != 0) {
        String n = utf8[classNameIndex[i]];
        if (n.startsWith("[")) {
          addDescriptor(n, refs);
        } else {
          refs.add(n.replace('/', '.'));
        }
      }
    }
    in.readUnsignedShort();
    String name = utf8[classNameIndex[in.readUnsignedShort()]].replace('/', '.');
    in.readUnsignedShort();
    int interfaces = in.readUnsignedShort();
    for (int i = 0; i < interfaces; i++) {
      in.readUnsignedShort();
    }
    for (int kind = 0; kind < 2; kind++) { // fields, then methods
      int members = in.readUnsignedShort();
      for (int i = 0; i < members; i++) {
        in.readUnsignedShort();
        in.readUnsignedShort();
        descriptorIndexes.add(in.readUnsignedShort());
        int attributes = in.readUnsignedShort();
        for (int a = 0; a < attributes; a++) {
          in.readUnsignedShort();
          in.skipNBytes(in.readInt() & 0xFFFFFFFFL);
        }
      }
    }
    for (int d : descriptorIndexes) {
      addDescriptor(utf8[d], refs);
    }
    return new ClassFile(name, refs);
  }

  private static void addDescriptor(String descriptor, SortedSet<String> refs) {
    Matcher m = OBJECT_TYPE.matcher(descriptor);
    while (m.find()) {
      refs.add(m.group(1).replace('/', '.'));
    }
  }
}
