/**
 * The azure-core bridge: {@link org.o365mail.azure.AzureCredentials} turns any azure-core {@code
 * TokenCredential} into a {@link org.o365mail.auth.CredentialStrategy} and back.
 */
package org.o365mail.azure;
