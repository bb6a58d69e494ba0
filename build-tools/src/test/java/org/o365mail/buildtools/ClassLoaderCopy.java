package org.o365mail.buildtools;

/** A class loader that delegates everything: a second, separate way to load the same classes. */
final class ClassLoaderCopy extends ClassLoader {
  ClassLoaderCopy(ClassLoader parent) {
    super(parent);
  }
}
