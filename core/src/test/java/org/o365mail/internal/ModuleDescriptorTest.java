package org.o365mail.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Core's module descriptor exports exactly the API packages, and no exported signature shows an MSAL type. */
class ModuleDescriptorTest {
  private static final Set<String> API = Set.of("org.o365mail", "org.o365mail.auth", "org.o365mail.doctor",
      "org.o365mail.expiry", "org.o365mail.importer", "org.o365mail.net", "org.o365mail.setup");

  private static Path classes() throws URISyntaxException {
    return Path.of(Json.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  private static ModuleDescriptor descriptor() throws URISyntaxException {
    return ModuleFinder.of(classes()).find("org.o365mail").orElseThrow().descriptor();
  }

  @Test
  void exportsExactlyTheApiPackages_unqualified_andOpensNone() throws URISyntaxException {
    ModuleDescriptor d = descriptor();
    assertThat(d.exports()).allSatisfy(e -> assertThat(e.isQualified()).as(e.source()).isFalse());
    assertThat(d.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()))
        .isEqualTo(API);
    assertThat(d.packages()).contains("org.o365mail.internal");
    assertThat(d.opens()).isEmpty();
    assertThat(d.isOpen()).isFalse();
  }

  @Test
  void msalIsRequired_butNotTransitively() throws URISyntaxException {
    assertThat(descriptor().requires()).anySatisfy(r -> {
      assertThat(r.name()).isEqualTo("com.microsoft.aad.msal4j");
      assertThat(r.modifiers()).doesNotContain(ModuleDescriptor.Requires.Modifier.TRANSITIVE);
    });
  }

  @Test
  void noPublicOrProtectedSignatureInAnExportedPackage_showsAnMsalType() throws Exception {
    Path root = classes();
    List<String> names;
    try (Stream<Path> s = Files.walk(root)) {
      names = s.map(p -> root.relativize(p).toString()).filter(n -> n.endsWith(".class") && !n.equals("module-info.class"))
          .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.').replace('\\', '.')).toList();
    }
    TreeSet<String> leaks = new TreeSet<>();
    int checked = 0;
    for (String name : names) {
      Class<?> c = Class.forName(name, false, getClass().getClassLoader());
      if (!API.contains(c.getPackageName()) || !visible(c)) {
        continue;
      }
      checked++;
      List<Type> types = new ArrayList<>();
      types.add(c.getGenericSuperclass());
      types.addAll(List.of(c.getGenericInterfaces()));
      for (Field f : c.getDeclaredFields()) {
        if (visible(f.getModifiers())) {
          types.add(f.getGenericType());
        }
      }
      List<Executable> executables = new ArrayList<>(List.of(c.getDeclaredMethods()));
      executables.addAll(List.<Constructor<?>>of(c.getDeclaredConstructors()));
      for (Executable e : executables) {
        if (!visible(e.getModifiers())) {
          continue;
        }
        types.addAll(List.of(e.getGenericParameterTypes()));
        types.addAll(List.of(e.getGenericExceptionTypes()));
        if (e instanceof Method m) {
          types.add(m.getGenericReturnType());
        }
      }
      for (Type t : types) {
        if (t != null && t.getTypeName().contains("com.microsoft.aad")) {
          leaks.add(name + ": " + t.getTypeName());
        }
      }
    }
    assertThat(checked).as("public types checked").isGreaterThan(40);
    assertThat(leaks).isEmpty();
  }

  private static boolean visible(Class<?> c) {
    for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
      if (!Modifier.isPublic(k.getModifiers()) && !(k != c && Modifier.isProtected(k.getModifiers()))) {
        return false;
      }
    }
    return true;
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }
}
