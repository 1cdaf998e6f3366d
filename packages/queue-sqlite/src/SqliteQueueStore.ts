/**
 * A `QueueStore` on embedded SQLite (better-sqlite3, WAL): the zero-setup durable store the reference app uses
 * when no Redis is configured.
 *
 * - Every state change is one `BEGIN IMMEDIATE` transaction, so several processes may share the file: SQLite's
 *   write lock serialises them, and a claim can never hand one recipient to two workers.
 * - `synchronous = FULL` by default: `enqueue` returns after the commit is on disk, which is what lets the server
 *   answer `250`.
 * - Bodies up to 1 MiB are written in the same transaction as the message; larger ones stream in 1 MiB chunks
 *   under a staging marker first, so memory stays bounded and a failure leaves nothing visible.
 * - Waiting is notified inside the process; other processes' work is noticed within `pollMillis` (SQLite has no
 *   cross-process notification), and deferred work wakes waiters exactly when it comes due.
 * - Rows are read back through `StoredRecord.read`, which never throws: a message whose envelope or replies cannot
 *   be decoded is quarantined (held by the claim that meets it, shown with the reason), never an error of the
 *   operation that read it.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { Ids, Listing, QueueError, QueueRecord, QueuedMessage, QueueStore, StoredRecord } from "@cartero/queue"
import type { Claim, RecipientState } from "@cartero/queue"
import Database from "better-sqlite3"
import { Clock, Config, Deferred, Duration, Effect, Layer, Stream } from "effect"
import type { Scope } from "effect"
import * as Migrations from "./Migrations.ts"

/** Options of the SQLite store. */
export interface Options extends QueueStore.StoreOptions {
  /** Database file (created with its directory when missing). */
  readonly filename: string
  /** `FULL` (default) fsyncs every commit; `NORMAL` may lose the last commits on power loss (not on a crash). */
  readonly synchronous?: "FULL" | "NORMAL" | undefined
  /** Longest wait before looking for work enqueued by another process (default 1000 ms). */
  readonly pollMillis?: number | undefined
}

interface MessageRow {
  readonly id: string
  readonly envelope: string
  readonly sender: string
  readonly arrived_at: number
  readonly trace_id: string
  /** `''` when the message arrived untraced (and in rows of version-1 databases, by the column's default). */
  readonly trace_parent: string
  readonly body_size: number
  readonly held: number
  readonly finished_at: number | null
}

interface RecipientRow {
  readonly idx: number
  readonly domain: string
  readonly state: RecipientState.RecipientState
  readonly attempts: number
  readonly next_at: number
  readonly reply: string | null
  readonly lease: string | null
  readonly lease_expires: number | null
}

const chunkBytes = 1 << 20
const stagingMaxAgeMillis = 3_600_000

const unavailable = (operation: string) => (cause: unknown) => new QueueError.QueueUnavailable({ operation, cause })

/** Opens the database (closed with the scope) and builds the store. */
export const make = (options: Options): Effect.Effect<QueueStore.Service, QueueError.QueueUnavailable, Scope.Scope> =>
  Effect.gen(function*() {
    const retain = options.retainFinishedMillis ?? 0
    const pollMillis = options.pollMillis ?? 1000
    const db = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          // The database holds message bodies: owner only, like Maildir (0700/0600). SQLite gives the -wal and -shm
          // files the main file's mode; an existing file from an older version is tightened too.
          mkdirSync(dirname(options.filename), { recursive: true, mode: 0o700 })
          if (options.filename !== ":memory:") {
            closeSync(openSync(options.filename, "a", 0o600))
            chmodSync(options.filename, 0o600)
          }
          const db = new Database(options.filename)
          Migrations.migrate(db, { synchronous: options.synchronous ?? "FULL" })
          return db
        },
        catch: unavailable("open")
      }),
      (db) => Effect.sync(() => db.close())
    )
    const attempt = <A>(operation: string, f: () => A) => Effect.try({ try: f, catch: unavailable(operation) })

    const sql = {
      message: db.prepare<[string], MessageRow>("SELECT * FROM messages WHERE id = ?"),
      recipients: db.prepare<[string], RecipientRow>(
        "SELECT idx, domain, state, attempts, next_at, reply, lease, lease_expires FROM recipients WHERE msg_id = ? ORDER BY idx"
      ),
      insertMessage: db.prepare<[string, string, string, number, string, string, number]>(
        "INSERT INTO messages (id, envelope, sender, arrived_at, trace_id, trace_parent, body_size) VALUES (?, ?, ?, ?, ?, ?, ?)"
      ),
      insertRecipient: db.prepare<[string, number, string, number]>(
        "INSERT INTO recipients (msg_id, idx, domain, state, next_at) VALUES (?, ?, ?, 'pending', ?)"
      ),
      insertBody: db.prepare<[string, number, Buffer]>("INSERT INTO bodies (msg_id, seq, data) VALUES (?, ?, ?)"),
      insertStaging: db.prepare<[string, number]>("INSERT INTO staging (msg_id, created_at) VALUES (?, ?)"),
      deleteStaging: db.prepare<[string]>("DELETE FROM staging WHERE msg_id = ?"),
      deleteMessage: db.prepare<[string]>("DELETE FROM messages WHERE id = ?"),
      deleteRecipients: db.prepare<[string]>("DELETE FROM recipients WHERE msg_id = ?"),
      deleteBodies: db.prepare<[string]>("DELETE FROM bodies WHERE msg_id = ?"),
      bodySeqs: db.prepare<[string], { readonly seq: number }>("SELECT seq FROM bodies WHERE msg_id = ? ORDER BY seq"),
      bodyChunk: db.prepare<[string, number], { readonly data: Buffer }>("SELECT data FROM bodies WHERE msg_id = ? AND seq = ?"),
      saveMessage: db.prepare<[number, number | null, string]>("UPDATE messages SET held = ?, finished_at = ? WHERE id = ?"),
      saveRecipient: db.prepare<[string, number, number, string | null, string | null, number | null, string, number]>(
        "UPDATE recipients SET state = ?, attempts = ?, next_at = ?, reply = ?, lease = ?, lease_expires = ? WHERE msg_id = ? AND idx = ?"
      ),
      expire: db.prepare<[number, number]>(
        `UPDATE recipients SET
           state = CASE WHEN EXISTS (SELECT 1 FROM messages m WHERE m.id = recipients.msg_id AND m.held = 1) THEN 'held' ELSE 'pending' END,
           next_at = ?, lease_expires = NULL
         WHERE state = 'inflight' AND lease_expires <= ?`
      ),
      purgeFinished: db.prepare<[number], { readonly id: string }>("SELECT id FROM messages WHERE finished_at IS NOT NULL AND finished_at <= ?"),
      staleStaging: db.prepare<[number], { readonly msg_id: string }>("SELECT msg_id FROM staging WHERE created_at <= ?"),
      due: db.prepare<[number, number], { readonly msg_id: string; readonly domain: string }>(
        "SELECT msg_id, domain FROM recipients WHERE state IN ('pending', 'deferred') AND next_at <= ? ORDER BY next_at LIMIT ?"
      ),
      dueIn: db.prepare<[number, string, number], { readonly msg_id: string; readonly domain: string }>(
        "SELECT msg_id, domain FROM recipients WHERE state IN ('pending', 'deferred') AND next_at <= ? AND domain = ? ORDER BY next_at LIMIT ?"
      ),
      claimGroup: db.prepare<[string, number, string, string, number], { readonly idx: number; readonly attempts: number }>(
        `UPDATE recipients SET state = 'inflight', lease = ?, lease_expires = ?
         WHERE msg_id = ? AND domain = ? AND state IN ('pending', 'deferred') AND next_at <= ? RETURNING idx, attempts`
      ),
      renew: db.prepare<[number, string, string, number]>(
        "UPDATE recipients SET lease_expires = ? WHERE msg_id = ? AND lease = ? AND state = 'inflight' AND lease_expires > ?"
      ),
      retryNow: db.prepare<[number, string]>("UPDATE recipients SET next_at = ? WHERE msg_id = ? AND state IN ('pending', 'deferred')"),
      holdMessage: db.prepare<[string]>("UPDATE messages SET held = 1 WHERE id = ?"),
      holdRecipients: db.prepare<[string]>("UPDATE recipients SET state = 'held' WHERE msg_id = ? AND state IN ('pending', 'deferred')"),
      releaseMessage: db.prepare<[string]>("UPDATE messages SET held = 0 WHERE id = ?"),
      releaseRecipients: db.prepare<[string]>(
        "UPDATE recipients SET state = CASE WHEN attempts > 0 THEN 'deferred' ELSE 'pending' END WHERE msg_id = ? AND state = 'held'"
      ),
      counts: db.prepare<[], { readonly state: RecipientState.RecipientState; readonly n: number }>(
        "SELECT state, COUNT(*) AS n FROM recipients GROUP BY state"
      ),
      messageCount: db.prepare<[], { readonly n: number; readonly oldest: number | null }>(
        "SELECT COUNT(*) AS n, MIN(arrived_at) AS oldest FROM messages"
      ),
      domains: db.prepare<[string], { readonly domain: string }>("SELECT DISTINCT domain FROM recipients WHERE msg_id = ?"),
      nextWake: db.prepare<[], { readonly due: number | null; readonly lease: number | null }>(
        `SELECT (SELECT MIN(next_at) FROM recipients WHERE state IN ('pending', 'deferred')) AS due,
                (SELECT MIN(lease_expires) FROM recipients WHERE state = 'inflight') AS lease`
      )
    }

    const removeMessage = (id: string) => {
      sql.deleteMessage.run(id)
      sql.deleteRecipients.run(id)
      sql.deleteBodies.run(id)
    }

    /** The stored form of a message row and its recipients (nothing decoded yet). */
    const stored = (m: MessageRow): StoredRecord.StoredMessage => ({
      id: m.id,
      envelope: m.envelope,
      sender: m.sender,
      arrivedAt: m.arrived_at,
      traceId: m.trace_id,
      traceParent: m.trace_parent === "" ? undefined : m.trace_parent,
      bodySize: m.body_size,
      held: m.held === 1,
      finishedAt: m.finished_at ?? undefined,
      recipients: sql.recipients.all(m.id).map((r) => ({
        index: r.idx,
        domain: r.domain,
        state: r.state,
        attempts: r.attempts,
        nextAttemptAt: r.next_at,
        reply: r.reply ?? undefined,
        lease: r.lease ?? undefined,
        leaseExpiresAt: r.lease_expires ?? undefined
      }))
    })

    /** The record of `id`, read whole or quarantined (never a throw); `undefined` when there is none. */
    const load = (id: string): QueueRecord.MessageRecord | undefined => {
      if (!QueuedMessage.isMessageId(id)) return undefined
      const m = sql.message.get(id)
      return m === undefined ? undefined : StoredRecord.read(stored(m))
    }

    /**
     * Writes back what a completion changed: the message's flags and the `written` recipients. The others are left
     * exactly as stored (a damaged reply or state stays for the operator to see, never "repaired" by a rewrite).
     */
    const save = (record: QueueRecord.MessageRecord, written: ReadonlyArray<number>) => {
      sql.saveMessage.run(record.held ? 1 : 0, record.finishedAt ?? null, record.id)
      for (const r of record.recipients) {
        if (!written.includes(r.index)) continue
        sql.saveRecipient.run(
          r.state,
          r.attempts,
          r.nextAttemptAt,
          r.lastReply === undefined ? null : QueuedMessage.encodeReply(r.lastReply),
          r.lease ?? null,
          r.leaseExpiresAt ?? null,
          record.id,
          r.index
        )
      }
    }

    /** Holds a quarantined message so that no claim meets it again (waiting recipients held, message held). */
    const quarantine = (id: string) => {
      sql.holdMessage.run(id)
      sql.holdRecipients.run(id)
    }

    const sweep = (now: number): number => {
      const expired = sql.expire.run(now, now).changes
      for (const { id } of sql.purgeFinished.all(now - retain)) removeMessage(id)
      for (const { msg_id } of sql.staleStaging.all(now - stagingMaxAgeMillis)) {
        sql.deleteBodies.run(msg_id)
        sql.deleteStaging.run(msg_id)
      }
      return expired
    }

    let wake = yield* Deferred.make<void>()
    const notify = Effect.gen(function*() {
      const previous = wake
      wake = yield* Deferred.make<void>()
      yield* Deferred.succeed(previous, undefined)
    })

    /** Runs `f` on a record inside one immediate transaction; not found when the id is unknown. */
    const withRecord = <A>(operation: string, id: string, f: (record: QueueRecord.MessageRecord, now: number) => A) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const result = yield* attempt(operation, () =>
          db.transaction(() => {
            const record = load(id)
            return record === undefined ? undefined : { value: f(record, now) }
          }).immediate())
        if (result === undefined) return yield* new QueueError.MessageNotFound({ id })
        return result.value
      })

    const exists = (id: string): boolean => QueuedMessage.isMessageId(id) && sql.message.get(id) !== undefined

    /** Runs a statement-level change on an existing message inside one immediate transaction. */
    const onMessage = <A>(operation: string, id: string, f: (now: number) => A) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const result = yield* attempt(operation, () =>
          db.transaction(() => (exists(id) ? { value: f(now) } : undefined)).immediate())
        if (result === undefined) return yield* new QueueError.MessageNotFound({ id })
        return result.value
      })

    const claimTx = db.transaction((now: number, leaseMillis: number, limit: number, domain: string | undefined) => {
      sweep(now)
      const scan = Math.max(limit * 4, 64)
      const rows = domain === undefined ? sql.due.all(now, scan) : sql.dueIn.all(now, domain, scan)
      const groups = new Map<string, { readonly msg: string; readonly domain: string }>()
      for (const row of rows) {
        if (groups.size >= limit) break
        groups.set(`${row.msg_id}\u0000${row.domain}`, { msg: row.msg_id, domain: row.domain })
      }
      const claims: Array<Claim.Claim> = []
      for (const g of groups.values()) {
        const record = load(g.msg)
        if (record === undefined) continue
        // A record that cannot be read whole is held, never handed out.
        const envelope = record.envelope
        if (envelope === undefined || record.quarantine !== undefined) {
          quarantine(g.msg)
          continue
        }
        const token = Ids.leaseToken()
        const expiresAt = now + leaseMillis
        const taken = sql.claimGroup.all(token, expiresAt, g.msg, g.domain, now).sort((a, b) => a.idx - b.idx)
        if (taken.length === 0) continue
        claims.push({
          messageId: record.id,
          domain: g.domain,
          token,
          expiresAt,
          envelope,
          arrivedAt: record.arrivedAt,
          traceId: record.traceId,
          traceParent: record.traceParent,
          bodySize: record.bodySize,
          recipients: taken.flatMap((t) => {
            const recipient = envelope.recipients[t.idx]
            return recipient === undefined ? [] : [{ index: t.idx, recipient, attempts: t.attempts }]
          })
        })
      }
      return claims
    })

    const store: QueueStore.Service = {
      enqueue: (message, body) =>
        Effect.gen(function*() {
          const id = message.id
          const buffered: Array<Uint8Array> = []
          let bufferedBytes = 0
          let size = 0
          let seq = 0
          const flush = (now: number) => {
            if (seq === 0) sql.insertStaging.run(id, now)
            sql.insertBody.run(id, seq++, Buffer.concat(buffered))
            buffered.length = 0
            bufferedBytes = 0
          }
          const cleanup = attempt("enqueue", () =>
            db.transaction(() => {
              sql.deleteBodies.run(id)
              sql.deleteStaging.run(id)
            }).immediate()).pipe(Effect.ignore)
          yield* Stream.runForEach(body, (chunk) =>
            Effect.gen(function*() {
              buffered.push(chunk)
              bufferedBytes += chunk.byteLength
              size += chunk.byteLength
              if (bufferedBytes >= chunkBytes) {
                const now = yield* Clock.currentTimeMillis
                yield* attempt("enqueue", () => flush(now))
              }
            })).pipe(Effect.onError(() => seq > 0 ? cleanup : Effect.void))
          const now = yield* Clock.currentTimeMillis
          yield* attempt("enqueue", () =>
            db.transaction(() => {
              if (bufferedBytes > 0 || seq === 0) sql.insertBody.run(id, seq++, Buffer.concat(buffered))
              sql.insertMessage.run(
                id,
                QueuedMessage.encodeEnvelope(message.envelope),
                QueuedMessage.formatMailbox(message.envelope.mailFrom),
                now,
                message.traceId,
                message.traceParent ?? "",
                size
              )
              message.envelope.recipients.forEach((r, i) => sql.insertRecipient.run(id, i, QueueRecord.domainOf(r), now))
              sql.deleteStaging.run(id)
            }).immediate()).pipe(Effect.onError(() => cleanup))
          yield* notify
        }),
      claim: (options) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          return yield* attempt("claim", () => claimTx.immediate(now, options.leaseMillis, options.limit, options.domain))
        }),
      renew: (lease, leaseMillis) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const expiresAt = now + leaseMillis
          const changed = yield* attempt("renew", () => sql.renew.run(expiresAt, lease.messageId, lease.token, now).changes)
          return changed > 0 ? expiresAt : undefined
        }),
      complete: (lease, outcomes) =>
        Effect.tap(
          withRecord("complete", lease.messageId, (record, now) => {
            const result = QueueRecord.complete(record, lease, outcomes, now)
            if (result.finished && retain <= 0) removeMessage(record.id)
            else save(record, result.applied)
            return result
          }),
          (result) => (result.applied.length > 0 ? notify : Effect.void)
        ),
      expireLeases: Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const n = yield* attempt("expireLeases", () => db.transaction(() => sweep(now)).immediate())
        if (n > 0) yield* notify
        return n
      }),
      body: (id) =>
        Stream.unwrap(Effect.gen(function*() {
          const seqs = yield* attempt("body", () => (exists(id) ? sql.bodySeqs.all(id) : undefined))
          if (seqs === undefined) return yield* new QueueError.MessageNotFound({ id })
          return Stream.fromIterable(seqs).pipe(
            Stream.mapEffect(({ seq }) =>
              Effect.flatMap(attempt("body", () => sql.bodyChunk.get(id, seq)), (row) =>
                row === undefined ? Effect.fail(new QueueError.MessageNotFound({ id })) : Effect.succeed(new Uint8Array(row.data))))
          )
        })),
      list: (filter, page) =>
        attempt("list", () => {
          const where: Array<string> = []
          const params: Array<string | number> = []
          const cursor = Listing.parseCursor(page.cursor)
          if (cursor !== undefined) {
            where.push("(arrived_at, id) > (?, ?)")
            params.push(cursor.arrivedAt, cursor.id)
          }
          if (filter.state !== undefined) {
            where.push("EXISTS (SELECT 1 FROM recipients r WHERE r.msg_id = m.id AND r.state = ?)")
            params.push(filter.state)
          }
          if (filter.domain !== undefined) {
            where.push("EXISTS (SELECT 1 FROM recipients r WHERE r.msg_id = m.id AND r.domain = ?)")
            params.push(filter.domain.toLowerCase())
          }
          if (filter.sender !== undefined) {
            where.push("instr(lower(sender), ?) > 0")
            params.push(filter.sender.toLowerCase())
          }
          if (filter.arrivedBefore !== undefined) {
            where.push("arrived_at <= ?")
            params.push(filter.arrivedBefore)
          }
          const text = `SELECT * FROM messages m ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY arrived_at, id LIMIT ?`
          const rows = db.prepare<Array<string | number>, MessageRow>(text).all(...params, page.limit + 1)
          const items = rows.slice(0, page.limit).map((m) => QueuedMessage.summarize(QueueRecord.view(StoredRecord.read(stored(m)))))
          const last = items[items.length - 1]
          return { items, next: rows.length > page.limit && last !== undefined ? Listing.makeCursor(last.arrivedAt, last.id) : undefined }
        }),
      show: (id) => withRecord("show", id, (record) => QueueRecord.view(record)),
      retryNow: (id) =>
        Effect.tap(onMessage("retryNow", id, (now) => sql.retryNow.run(now, id).changes), (n) => (n > 0 ? notify : Effect.void)),
      hold: (id) =>
        onMessage("hold", id, () => {
          sql.holdMessage.run(id)
          return sql.holdRecipients.run(id).changes
        }),
      release: (id) =>
        Effect.gen(function*() {
          const released = yield* withRecord("release", id, (record) => {
            if (record.quarantine !== undefined) return { quarantined: record.quarantine, n: 0 }
            sql.releaseMessage.run(id)
            return { quarantined: undefined, n: sql.releaseRecipients.run(id).changes }
          })
          if (released.quarantined !== undefined) return yield* new QueueError.MessageQuarantined({ id, reason: released.quarantined })
          if (released.n > 0) yield* notify
          return released.n
        }),
      delete: (id) => onMessage("delete", id, () => removeMessage(id)),
      stats: attempt("stats", () => {
        const recipients = Listing.emptyCounts()
        for (const c of sql.counts.all()) recipients[c.state] = c.n
        const m = sql.messageCount.get()
        return { messages: m?.n ?? 0, recipients, oldestArrivedAt: m?.oldest ?? undefined }
      }),
      awaitWork: (maxMillis) =>
        Effect.gen(function*() {
          const signal = wake
          const now = yield* Clock.currentTimeMillis
          const row = yield* attempt("awaitWork", () => sql.nextWake.get())
          let next = now + Math.min(maxMillis, pollMillis)
          if (row?.due != null && row.due < next) next = row.due
          if (row?.lease != null && row.lease < next) next = row.lease
          if (next <= now) return
          yield* Effect.raceFirst(Deferred.await(signal), Effect.sleep(Duration.millis(next - now)))
        })
    }
    return store
  })

/** The SQLite store's layers (each provides `QueueStore`). */
export class SqliteQueueStore {
  private constructor() {}

  /** The store on `options.filename`. */
  static readonly layer = (options: Options): Layer.Layer<QueueStore.QueueStore, QueueError.QueueUnavailable> =>
    Layer.effect(QueueStore.QueueStore, make(options))

  /**
   * The store on `$CARTERO_DATA_DIR/queue.sqlite` (default `./data`), retention of finished messages from
   * `CARTERO_QUEUE_RETAIN` (a duration such as `1h`, default none).
   */
  static readonly layerConfig = Layer.unwrap(Effect.gen(function*() {
    const dir = yield* Config.String("CARTERO_DATA_DIR").pipe(Config.withDefault("./data"))
    const retain = yield* Setting.config("CARTERO_QUEUE_RETAIN", "a duration such as 1h", Setting.duration).pipe(Config.withDefault(Duration.zero))
    return SqliteQueueStore.layer({ filename: join(dir, "queue.sqlite"), retainFinishedMillis: Duration.toMillis(retain) })
  }))

  /** A store on a fresh temporary file, deleted when the layer closes (tests, benchmarks). */
  static readonly layerTemp = (options: Omit<Options, "filename"> = {}): Layer.Layer<QueueStore.QueueStore, QueueError.QueueUnavailable> =>
    Layer.effect(
      QueueStore.QueueStore,
      Effect.gen(function*() {
        const dir = yield* Effect.acquireRelease(
          Effect.sync(() => mkdtempSync(join(tmpdir(), "cartero-queue-"))),
          (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
        )
        return yield* make({ ...options, filename: join(dir, "queue.sqlite") })
      })
    )
}
