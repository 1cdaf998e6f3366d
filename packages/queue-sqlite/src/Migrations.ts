/**
 * The SQLite schema of the queue.
 *
 * Indexable facts (states, times, leases, domains) are typed columns; everything else (the envelope, replies)
 * is JSON written through `QueuedMessage`'s Schema codecs and bound as a parameter, so no content ever becomes
 * SQL or structure. Bodies are stored once, in chunks, as BLOBs.
 *
 * @since 0.1.0
 */
import type Database from "better-sqlite3"

/**
 * Bumped when the schema changes; stored in `PRAGMA user_version`.
 * - 1: the tables below.
 * - 2: `messages.trace_parent` (the W3C `traceparent` of the span that accepted the message; `''` when untraced),
 *   added to databases of version 1 by {@link migrate}. Version-1 code still reads and writes a version-2 database
 *   (it selects `*` and inserts without the column, which then defaults to `''`), so processes of both versions can
 *   share a queue during an upgrade.
 */
export const version = 2

const ddl = `
CREATE TABLE IF NOT EXISTS messages (
  id          TEXT PRIMARY KEY,
  envelope    TEXT NOT NULL,
  sender      TEXT NOT NULL,
  arrived_at  INTEGER NOT NULL,
  trace_id    TEXT NOT NULL,
  body_size   INTEGER NOT NULL,
  held        INTEGER NOT NULL DEFAULT 0,
  finished_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_arrival ON messages (arrived_at, id);
CREATE INDEX IF NOT EXISTS messages_finished ON messages (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS recipients (
  msg_id        TEXT NOT NULL,
  idx           INTEGER NOT NULL,
  domain        TEXT NOT NULL,
  state         TEXT NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  next_at       INTEGER NOT NULL,
  reply         TEXT,
  lease         TEXT,
  lease_expires INTEGER,
  PRIMARY KEY (msg_id, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS recipients_due ON recipients (next_at) WHERE state IN ('pending', 'deferred');
CREATE INDEX IF NOT EXISTS recipients_lease ON recipients (lease_expires) WHERE state = 'inflight';
CREATE INDEX IF NOT EXISTS recipients_domain ON recipients (domain);

CREATE TABLE IF NOT EXISTS bodies (
  msg_id TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  data   BLOB NOT NULL,
  PRIMARY KEY (msg_id, seq)
) WITHOUT ROWID;

-- Large bodies are written before their message row; a staging row marks them until the message commits, so a
-- crash mid-body leaves only garbage that maintenance removes, never a half message.
CREATE TABLE IF NOT EXISTS staging (
  msg_id     TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
`

/** Opens the database in WAL mode and creates the schema. */
export const migrate = (db: Database.Database, options: { readonly synchronous: "FULL" | "NORMAL" }): void => {
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${options.synchronous === "NORMAL" ? "NORMAL" : "FULL"}`)
  db.pragma("busy_timeout = 5000")
  db.pragma("foreign_keys = OFF")
  db.exec(ddl)
  // Immediate: two processes opening a version-1 database together must not both add the column.
  db.transaction(() => {
    const columns = db.prepare<[], { readonly name: string }>("SELECT name FROM pragma_table_info('messages')").all()
    if (!columns.some((c) => c.name === "trace_parent")) db.exec("ALTER TABLE messages ADD COLUMN trace_parent TEXT NOT NULL DEFAULT ''")
  }).immediate()
  db.pragma(`user_version = ${version}`)
}
