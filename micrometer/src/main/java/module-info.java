/**
 * Micrometer meters for the SDK. Its API shows types of core and of micrometer-core (an automatic module, named
 * {@code micrometer.core} by its manifest), so both are required transitively.
 */
module org.o365mail.micrometer {
  requires transitive org.o365mail;
  requires transitive micrometer.core;

  exports org.o365mail.micrometer;
}
