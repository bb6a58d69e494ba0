/**
 * The app registration and Exchange setup a sign-in flow needs, as instructions: {@link
 * org.o365mail.setup.SetupGuide#instructions} lists, for a flow, a protocol and the supported account types, each
 * {@link org.o365mail.setup.SetupGuide.Instruction} in the portal's words with the PowerShell that does it, under
 * the same {@link org.o365mail.SetupStep}s diagnoses name. Stateless; the instructions are immutable.
 */
package org.o365mail.setup;
