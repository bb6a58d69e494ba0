/**
 * Implementation of the Graph connector: the transport and its governor (slots, pauses, the request window, retries,
 * the token guard), the error diagnoses, {@code $batch}, delta sync, folders and sending. Not API: anything here may
 * change in any release.
 */
package org.o365mail.graph.internal;
