-- o365-mail-jdbc schema, version 1: the checkpoint store's tables, the mailbox leases and the token store.
-- Applied once by Migrations under an advisory lock; never edit a released file, add V2__... instead.

CREATE TABLE o365mail_lease (
  mailbox    text        PRIMARY KEY,
  owner      text        NOT NULL,
  -- the fencing token: grows with every new holder and is never reset (a released lease keeps its row)
  epoch      bigint      NOT NULL,
  expires_at timestamptz NOT NULL
);

CREATE TABLE o365mail_checkpoint (
  protocol        text        NOT NULL,
  mailbox         text        NOT NULL,
  folder          text        NOT NULL,
  sync_state      text        NOT NULL,
  handled         text[]      NOT NULL,
  in_flight       text,
  interrupted     text[]      NOT NULL,
  in_flight_group text[]      NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (protocol, mailbox, folder)
);

CREATE TABLE o365mail_pending_action (
  protocol    text    NOT NULL,
  mailbox     text    NOT NULL,
  folder      text    NOT NULL,
  position    integer NOT NULL,
  message_key text    NOT NULL,
  message_id  text    NOT NULL,
  PRIMARY KEY (protocol, mailbox, folder, position),
  FOREIGN KEY (protocol, mailbox, folder) REFERENCES o365mail_checkpoint ON DELETE CASCADE
);

CREATE TABLE o365mail_dead_letter (
  protocol    text        NOT NULL,
  mailbox     text        NOT NULL,
  folder      text        NOT NULL,
  position    integer     NOT NULL,
  message_key text        NOT NULL,
  message_id  text        NOT NULL,
  subject     text        NOT NULL,
  attempts    integer     NOT NULL,
  last_error  text        NOT NULL,
  parked_at   timestamptz NOT NULL,
  PRIMARY KEY (protocol, mailbox, folder, position),
  FOREIGN KEY (protocol, mailbox, folder) REFERENCES o365mail_checkpoint ON DELETE CASCADE
);

CREATE TABLE o365mail_seen (
  protocol    text NOT NULL,
  mailbox     text NOT NULL,
  folder      text NOT NULL,
  message_key text NOT NULL,
  PRIMARY KEY (protocol, mailbox, folder, message_key)
);

CREATE TABLE o365mail_token (
  token_key  text        PRIMARY KEY,
  -- AES-256-GCM under the user's key, bound to token_key; never the plaintext
  sealed     bytea       NOT NULL,
  updated_at timestamptz NOT NULL
);
