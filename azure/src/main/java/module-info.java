/**
 * The azure-core bridge: any azure-core {@code TokenCredential} as a {@code CredentialStrategy} and back. Its API
 * shows types of core and of azure-core, so both are required transitively.
 */
module org.o365mail.azure {
  requires transitive org.o365mail;
  requires transitive com.azure.core;

  exports org.o365mail.azure;
}
