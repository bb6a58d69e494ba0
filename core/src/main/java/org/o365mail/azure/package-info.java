/**
 * The bridge to azure-core's {@code TokenCredential}, the one place where an Azure type meets this SDK's API:
 * {@link org.o365mail.azure.AzureCredentials} turns any {@code TokenCredential} (managed identity, workload
 * identity) into a {@link org.o365mail.auth.CredentialStrategy} and any strategy into a {@code TokenCredential}.
 * Stateless; the adapters it returns are as thread-safe as what they wrap.
 */
package org.o365mail.azure;
