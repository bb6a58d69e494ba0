/**
 * PostgreSQL stores for several service instances sharing many mailboxes: {@link
 * org.o365mail.jdbc.PostgresCheckpointStore} (checkpoints, seen records, pending post-actions, dead letters and
 * per-mailbox leases with fencing) and {@link org.o365mail.jdbc.PostgresTokenStore} (sealed token bytes, one refresh
 * at a time per sign-in across the cluster). Both create or migrate their tables on first use.
 */
package org.o365mail.jdbc;
