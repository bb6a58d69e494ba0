-- o365-mail-jdbc schema, version 2: the live instances, for ImportCoordinator's fair share of the mailboxes.
-- An instance's row is renewed every poll (heartbeat) and deleted when it stops; a row past expires_at is a dead
-- instance, counted no more and removed by the next heartbeat of another one a while later.

CREATE TABLE o365mail_instance (
  owner      text        PRIMARY KEY,
  expires_at timestamptz NOT NULL
);

-- the coordinator's claim looks for free leases among a list of mailboxes: the primary key serves it; this index
-- serves the renewal of one owner's leases
CREATE INDEX o365mail_lease_owner ON o365mail_lease (owner);
