/**
 * The SQLite backend for records: one file (created 0600 in a 0700 directory), one table
 * `records(namespace, key, value, expires_at)`, WAL mode, so greylisting state survives restarts of a single-host
 * MTA whose queue is on SQLite. Expired rows are ignored on read (against Effect's `Clock`) and deleted in batches
 * of 1000 every 1000 writes, so the file does not grow with forgotten triplets.
 *
 * better-sqlite3 is synchronous; each call is one short indexed statement.
 *
 * @since 0.1.0
 */
import Database from "better-sqlite3"
import { Clock, Effect, Option } from "effect"
import { chmodSync, closeSync, mkdirSync, openSync } from "node:fs"
import { dirname } from "node:path"
import { PolicyStoreError } from "./PolicyStoreError.ts"
import type { Records } from "./Records.ts"

/** Options of the SQLite backend. */
export interface Options {
  /** The database file (created with its directory when missing). */
  readonly filename: string
}

const failed = (operation: string) => (cause: unknown) => new PolicyStoreError({ backend: "sqlite", operation, cause })

const schema = `
CREATE TABLE IF NOT EXISTS records (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at);
`

/** Opens (and creates) the database; closed when the scope closes. */
export const open = (options: Options) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        mkdirSync(dirname(options.filename), { recursive: true, mode: 0o700 })
        closeSync(openSync(options.filename, "a", 0o600))
        chmodSync(options.filename, 0o600)
        const db = new Database(options.filename)
        db.pragma("journal_mode = WAL")
        db.pragma("synchronous = NORMAL")
        db.pragma("busy_timeout = 2000")
        db.exec(schema)
        return db
      },
      catch: failed("open")
    }),
    (db) => Effect.sync(() => db.close())
  )

/** Records of `namespace` in `db`. */
export const records = (db: Database.Database, namespace: string): Records => {
  const select = db.prepare<[string, string, number], { value: string }>(
    "SELECT value FROM records WHERE namespace = ? AND key = ? AND expires_at > ?"
  )
  const upsert = db.prepare<[string, string, string, number]>(
    "INSERT INTO records (namespace, key, value, expires_at) VALUES (?, ?, ?, ?) " +
      "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at"
  )
  const remove = db.prepare<[string, string]>("DELETE FROM records WHERE namespace = ? AND key = ?")
  const sweep = db.prepare<[number]>(
    "DELETE FROM records WHERE (namespace, key) IN (SELECT namespace, key FROM records WHERE expires_at <= ? LIMIT 1000)"
  )
  let writes = 0
  return {
    get: (key) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.try({ try: () => Option.fromUndefinedOr(select.get(namespace, key, now)?.value), catch: failed("get") })),
    set: (key, value, ttlMillis) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.try({
          try: () => {
            upsert.run(namespace, key, value, now + Math.max(1, Math.ceil(ttlMillis)))
            if (++writes % 1000 === 0) sweep.run(now)
          },
          catch: failed("set")
        })),
    remove: (key) => Effect.try({ try: () => void remove.run(namespace, key), catch: failed("remove") })
  }
}

/** Deletes every expired record (of every namespace); how many. For maintenance and tests. */
export const sweepExpired = (db: Database.Database) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.try({ try: () => db.prepare<[number]>("DELETE FROM records WHERE expires_at <= ?").run(now).changes, catch: failed("sweep") }))
