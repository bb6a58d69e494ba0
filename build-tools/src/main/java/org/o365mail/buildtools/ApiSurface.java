package org.o365mail.buildtools;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.annotation.Documented;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.GenericDeclaration;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The exported API of one module as text: one line per public or protected type, constructor, method and field in
 * the module's exported packages, with generic signatures, modifiers, supertypes and the annotations that are part
 * of the API (those meta-annotated {@link Documented}, such as {@link Deprecated} and {@link FunctionalInterface}).
 * Types are sorted by name, each followed by its members sorted, so the text is the same on every run and a change
 * of the API shows as a change of a few lines.
 *
 * <p>Exported packages are every package not named {@code *.internal} and not {@code org.o365mail.testsupport}
 * (see {@link #isExported(String)}). Members are the ones a type declares; members inherited from a supertype appear
 * under the supertype.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class ApiSurface {

  private final List<String> lines;
  private final SortedMap<String, SortedSet<String>> typesUsed;
  private final Set<String> jdkTypes;

  private ApiSurface(List<String> lines, SortedMap<String, SortedSet<String>> typesUsed, Set<String> jdkTypes) {
    this.lines = List.copyOf(lines);
    this.typesUsed = Collections.unmodifiableSortedMap(typesUsed);
    this.jdkTypes = Set.copyOf(jdkTypes);
  }

  /**
   * Whether {@code packageName} is exported: not an {@code internal} package (or below one) and not the SDK's test
   * support package.
   */
  public static boolean isExported(String packageName) {
    for (String part : packageName.split("\\.")) {
      if (part.equals("internal")) {
        return false;
      }
    }
    return !(packageName.equals("org.o365mail.testsupport") || packageName.startsWith("org.o365mail.testsupport."));
  }

  /**
   * The surface of the module whose compiled classes hold {@code anchor}: every class file in the same classes
   * directory (or jar-less output folder), loaded with {@code anchor}'s class loader.
   */
  public static ApiSurface ofModuleOf(Class<?> anchor) {
    return of(classesDirectoryOf(anchor), anchor.getClassLoader());
  }

  /** The classes directory (for example {@code target/classes}) {@code anchor} was loaded from. */
  public static Path classesDirectoryOf(Class<?> anchor) {
    try {
      Path location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (!Files.isDirectory(location)) {
        throw new IllegalArgumentException(anchor.getName() + " was not loaded from a classes directory: " + location);
      }
      return location;
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** The surface of the class files under {@code classesDir}, loaded (not initialised) with {@code loader}. */
  public static ApiSurface of(Path classesDir, ClassLoader loader) {
    List<Class<?>> types = new ArrayList<>();
    for (String name : classNames(classesDir)) {
      try {
        Class<?> c = Class.forName(name, false, loader);
        if (isExported(c)) {
          types.add(c);
        }
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException("cannot load " + name + " from " + classesDir, e);
      }
    }
    types.sort((a, b) -> a.getName().compareTo(b.getName()));
    Builder b = new Builder();
    for (Class<?> c : types) {
      b.type(c);
    }
    return new ApiSurface(b.lines, b.typesUsed, b.jdkTypes);
  }

  /** The surface, one line per type or member, in a stable order. */
  public List<String> lines() {
    return lines;
  }

  /** The surface as the text of an {@code .api} file: the lines, each ended by a line feed. */
  public String text() {
    return lines.stream().map(l -> l + "\n").collect(Collectors.joining());
  }

  /**
   * Every type (by binary name, arrays by element type) that appears in an exported signature, each with the lines
   * of this surface it appears in.
   */
  public SortedMap<String, SortedSet<String>> typesUsed() {
    return typesUsed;
  }

  /**
   * The types in exported signatures that are not the JDK's (loaded by the bootstrap or platform class loader, so
   * {@code java.*}, {@code javax.crypto.*}, {@code javax.net.ssl.*} and the like) and whose names start with none
   * of {@code allowedPrefixes} (for example {@code "org.o365mail."}), each with the lines it appears in; empty if
   * the surface shows only allowed types.
   */
  public SortedMap<String, SortedSet<String>> typesOutside(List<String> allowedPrefixes) {
    SortedMap<String, SortedSet<String>> out = new TreeMap<>();
    typesUsed.forEach((type, where) -> {
      if (allowedPrefixes.stream().noneMatch(type::startsWith) && !isPrimitive(type) && !jdkTypes.contains(type)) {
        out.put(type, where);
      }
    });
    return out;
  }

  private static boolean isPrimitive(String type) {
    return Set.of("boolean", "byte", "char", "short", "int", "long", "float", "double", "void").contains(type);
  }

  private static List<String> classNames(Path classesDir) {
    try (Stream<Path> files = Files.walk(classesDir)) {
      return files.filter(p -> p.toString().endsWith(".class"))
          .map(p -> classesDir.relativize(p).toString())
          .map(p -> p.substring(0, p.length() - ".class".length()).replace('\\', '.').replace('/', '.'))
          .filter(n -> !n.endsWith("module-info") && !n.endsWith("package-info"))
          .sorted()
          .collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean isExported(Class<?> c) {
    if (c.isSynthetic() || c.isAnonymousClass() || c.isLocalClass() || !isExported(c.getPackageName())) {
      return false;
    }
    for (Class<?> t = c; t != null; t = t.getDeclaringClass()) {
      int m = t.getModifiers();
      boolean visible = Modifier.isPublic(m)
          || (Modifier.isProtected(m) && !Modifier.isFinal(t.getDeclaringClass().getModifiers()));
      if (!visible) {
        return false;
      }
    }
    return true;
  }

  /** Collects the lines and the types they mention. */
  private static final class Builder {
    private final List<String> lines = new ArrayList<>();
    private final SortedMap<String, SortedSet<String>> typesUsed = new TreeMap<>();
    private final Set<String> jdkTypes = new HashSet<>();

    void type(Class<?> c) {
      List<Type> mentioned = new ArrayList<>();
      StringBuilder s = new StringBuilder(annotations(c, mentioned));
      int modifiers = c.getModifiers() & (c.isInterface() ? Modifier.interfaceModifiers() : Modifier.classModifiers());
      if (c.isInterface()) {
        modifiers &= ~Modifier.ABSTRACT;
      }
      if (c.isMemberClass()) {
        modifiers |= c.getModifiers() & Modifier.STATIC;
      }
      s.append(modifiers(modifiers));
      if (c.isSealed()) {
        s.append("sealed ");
      }
      s.append(c.isAnnotation() ? "@interface " : c.isInterface() ? "interface " : c.isEnum() ? "enum "
          : c.isRecord() ? "record " : "class ");
      s.append(c.getName()).append(typeParameters(c, mentioned));
      Type superclass = c.getGenericSuperclass();
      if (superclass != null && superclass != Object.class && !c.isEnum() && !c.isRecord()) {
        s.append(" extends ").append(name(superclass, mentioned));
      }
      Type[] interfaces = c.getGenericInterfaces();
      if (interfaces.length > 0 && !c.isAnnotation()) {
        s.append(c.isInterface() ? " extends " : " implements ");
        s.append(Arrays.stream(interfaces).map(t -> name(t, mentioned)).collect(Collectors.joining(", ")));
      }
      if (c.isSealed()) {
        s.append(" permits ").append(Arrays.stream(c.getPermittedSubclasses()).map(Class::getName).sorted()
            .collect(Collectors.joining(", ")));
      }
      add(s.toString(), mentioned);

      boolean subclassable = !Modifier.isFinal(c.getModifiers()) && !c.isEnum() && !c.isRecord();
      List<String> memberLines = new ArrayList<>();
      List<List<Type>> memberTypes = new ArrayList<>();
      for (Constructor<?> k : c.getDeclaredConstructors()) {
        if (visible(k, subclassable) && !c.isEnum()) {
          List<Type> t = new ArrayList<>();
          memberLines.add("  " + annotations(k, t) + modifiers(k.getModifiers() & Modifier.constructorModifiers())
              + typeParameters(k, t) + c.getSimpleName() + parameters(k, t) + exceptions(k, t));
          memberTypes.add(t);
        }
      }
      for (Method m : c.getDeclaredMethods()) {
        if (visible(m, subclassable) && !m.isBridge()) {
          List<Type> t = new ArrayList<>();
          int mods = m.getModifiers() & Modifier.methodModifiers();
          if (c.isInterface()) {
            mods &= ~(Modifier.PUBLIC | Modifier.ABSTRACT);
          }
          memberLines.add("  " + annotations(m, t) + modifiers(mods) + (m.isDefault() ? "default " : "")
              + typeParameters(m, t) + name(m.getGenericReturnType(), t) + " " + m.getName() + parameters(m, t)
              + exceptions(m, t));
          memberTypes.add(t);
        }
      }
      for (Field f : c.getDeclaredFields()) {
        if (visible(f, subclassable)) {
          List<Type> t = new ArrayList<>();
          int mods = f.getModifiers() & Modifier.fieldModifiers();
          if (c.isInterface()) {
            mods &= ~(Modifier.PUBLIC | Modifier.STATIC | Modifier.FINAL);
          }
          memberLines.add("  " + annotations(f, t) + (f.isEnumConstant() ? "enum constant " : modifiers(mods))
              + (f.isEnumConstant() ? "" : name(f.getGenericType(), t) + " ") + f.getName());
          memberTypes.add(t);
        }
      }
      Integer[] order = new Integer[memberLines.size()];
      Arrays.setAll(order, i -> i);
      Arrays.sort(order, (a, b) -> memberLines.get(a).compareTo(memberLines.get(b)));
      for (int i : order) {
        add(memberLines.get(i), memberTypes.get(i));
      }
    }

    private void add(String line, List<Type> mentioned) {
      lines.add(line);
      Set<Type> seen = new HashSet<>();
      for (Type t : mentioned) {
        collect(t, line.trim(), seen);
      }
    }

    private void collect(Type t, String line, Set<Type> seen) {
      if (!seen.add(t)) {
        return;
      }
      if (t instanceof Class<?> c) {
        while (c.isArray()) {
          c = c.getComponentType();
        }
        typesUsed.computeIfAbsent(c.getName(), k -> new TreeSet<>()).add(line);
        ClassLoader loader = c.getClassLoader();
        if (loader == null || loader == ClassLoader.getPlatformClassLoader()) {
          jdkTypes.add(c.getName());
        }
      } else if (t instanceof ParameterizedType p) {
        collect(p.getRawType(), line, seen);
        if (p.getOwnerType() != null) {
          collect(p.getOwnerType(), line, seen);
        }
        for (Type a : p.getActualTypeArguments()) {
          collect(a, line, seen);
        }
      } else if (t instanceof WildcardType w) {
        for (Type u : w.getUpperBounds()) {
          collect(u, line, seen);
        }
        for (Type l : w.getLowerBounds()) {
          collect(l, line, seen);
        }
      } else if (t instanceof TypeVariable<?> v) {
        for (Type u : v.getBounds()) {
          collect(u, line, seen);
        }
      } else if (t instanceof GenericArrayType g) {
        collect(g.getGenericComponentType(), line, seen);
      }
    }

    private static boolean visible(Member m, boolean subclassable) {
      if (m.isSynthetic()) {
        return false;
      }
      int mods = m.getModifiers();
      return Modifier.isPublic(mods) || (Modifier.isProtected(mods) && subclassable);
    }

    private static String modifiers(int modifiers) {
      String s = Modifier.toString(modifiers);
      return s.isEmpty() ? "" : s + " ";
    }

    private static String annotations(AnnotatedElement e, List<Type> mentioned) {
      StringBuilder s = new StringBuilder();
      Annotation[] all = e.getDeclaredAnnotations();
      Arrays.sort(all, (a, b) -> a.annotationType().getName().compareTo(b.annotationType().getName()));
      for (Annotation a : all) {
        if (a.annotationType().isAnnotationPresent(Documented.class)) {
          mentioned.add(a.annotationType());
          s.append(a).append(' ');
        }
      }
      return s.toString();
    }

    private static String typeParameters(GenericDeclaration d, List<Type> mentioned) {
      TypeVariable<?>[] vars = d.getTypeParameters();
      if (vars.length == 0) {
        return "";
      }
      List<String> parts = new ArrayList<>();
      for (TypeVariable<?> v : vars) {
        List<Type> bounds = Arrays.stream(v.getBounds()).filter(b -> b != Object.class).collect(Collectors.toList());
        mentioned.addAll(bounds);
        parts.add(v.getName() + (bounds.isEmpty() ? "" : " extends "
            + bounds.stream().map(Type::getTypeName).collect(Collectors.joining(" & "))));
      }
      String s = "<" + String.join(", ", parts) + ">";
      return d instanceof Class<?> ? s : s + " ";
    }

    private static String parameters(Executable e, List<Type> mentioned) {
      Type[] params = e.getGenericParameterTypes();
      if (params.length != e.getParameterCount()) {
        params = e.getParameterTypes(); // inner-class constructors: the generic list leaves out the outer instance
      }
      List<String> parts = new ArrayList<>();
      for (int i = 0; i < params.length; i++) {
        String p = name(params[i], mentioned);
        if (e.isVarArgs() && i == params.length - 1 && p.endsWith("[]")) {
          p = p.substring(0, p.length() - 2) + "...";
        }
        parts.add(p);
      }
      return "(" + String.join(", ", parts) + ")";
    }

    private static String exceptions(Executable e, List<Type> mentioned) {
      Type[] thrown = e.getGenericExceptionTypes();
      if (thrown.length == 0) {
        return "";
      }
      return " throws " + Arrays.stream(thrown).map(t -> name(t, mentioned)).sorted().collect(Collectors.joining(", "));
    }

    private static String name(Type t, List<Type> mentioned) {
      mentioned.add(t);
      return t.getTypeName();
    }
  }
}
