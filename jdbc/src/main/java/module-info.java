/**
 * The PostgreSQL stores: a checkpoint store with per-mailbox leases and fencing, and a token store whose lock holds
 * across instances. They use only {@code java.sql} on a {@code DataSource} the user passes in; the PostgreSQL driver
 * is needed at run time only. Their API shows core's and java.sql's types, so both are required transitively.
 */
module org.o365mail.jdbc {
  requires transitive java.sql;
  requires transitive org.o365mail;
  requires org.slf4j;

  exports org.o365mail.jdbc;
}
