/**
 * Implementation of the Graph connector: the transport and its governor, request window and retries, paging and
 * delta sync, {@code $batch} and MIME read-ahead, folder resolution, sending, and the diagnoses of Graph's errors.
 * Not API: anything here may change in any release.
 */
package org.o365mail.graph.internal;
