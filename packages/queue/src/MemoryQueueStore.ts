/**
 * A `QueueStore` in memory: for unit tests and for trying things out. Same semantics as the durable stores
 * (it passes the conformance suite), no durability. Every operation is one synchronous step, hence atomic.
 *
 * Records are kept as the durable stores keep them (`StoredRecord`: the envelope and the replies as JSON text) and
 * read back through the same codecs, so a value that would not survive the SQLite or Redis store does not survive
 * this one either, and a damaged record is quarantined here exactly as there.
 *
 * @since 0.1.0
 */
import { Clock, Deferred, Duration, Effect, Layer, Stream } from "effect"
import type { Claim } from "./Claim.ts"
import * as Ids from "./Ids.ts"
import * as Listing from "./Listing.ts"
import { MessageNotFound, MessageQuarantined } from "./QueueError.ts"
import * as QueueRecord from "./QueueRecord.ts"
import { encodeReply, isMessageId, summarize } from "./QueuedMessage.ts"
import type { MessageId } from "./QueuedMessage.ts"
import { QueueStore } from "./QueueStore.ts"
import type { Service, StoreOptions } from "./QueueStore.ts"
import * as RecipientState from "./RecipientState.ts"
import * as StoredRecord from "./StoredRecord.ts"

/** One message: its record as stored (replaced whole by every change) and its body. */
export interface Entry {
  stored: StoredRecord.StoredMessage
  readonly body: ReadonlyArray<Uint8Array>
}

/**
 * Builds a memory store and hands out its records too, for tests that must damage one the way a bug or a hand edit
 * would (the conformance suite's quarantine cases).
 */
export const makeWithRecords = (options: StoreOptions = {}): Effect.Effect<{ readonly store: Service; readonly records: Map<MessageId, Entry> }> =>
  Effect.gen(function*() {
    const retain = options.retainFinishedMillis ?? 0
    const messages = new Map<MessageId, Entry>()
    let wake = yield* Deferred.make<void>()

    const notify = Effect.gen(function*() {
      const previous = wake
      wake = yield* Deferred.make<void>()
      yield* Deferred.succeed(previous, undefined)
    })

    const find = (id: MessageId): Entry | undefined =>
      isMessageId(id) ? messages.get(id) : undefined

    const live = (id: MessageId) =>
      Effect.suspend(() => {
        const entry = find(id)
        return entry === undefined
          ? Effect.fail(new MessageNotFound({ id }))
          : Effect.succeed(entry)
      })

    /** Writes `record` back; the replies of `written` recipients are new, the others stay as stored. */
    const save = (entry: Entry, record: QueueRecord.MessageRecord, written: ReadonlyArray<number> = []) => {
      const before = entry.stored
      entry.stored = {
        ...before,
        held: record.held,
        finishedAt: record.finishedAt,
        recipients: record.recipients.map((r, i) => {
          const reply = written.includes(r.index) && r.lastReply !== undefined ? encodeReply(r.lastReply) : before.recipients[i]?.reply
          return StoredRecord.writeRecipient(r, reply)
        })
      }
    }

    /** Reads a record, applies `f`, writes it back. */
    const change = <A>(entry: Entry, f: (record: QueueRecord.MessageRecord) => A, written?: (a: A) => ReadonlyArray<number>): A => {
      const record = StoredRecord.read(entry.stored)
      const result = f(record)
      save(entry, record, written?.(result))
      return result
    }

    const sweep = (now: number): number => {
      let n = 0
      for (const [id, entry] of messages) {
        if (entry.stored.recipients.some((r) => r.state === "inflight" && r.leaseExpiresAt !== undefined && r.leaseExpiresAt <= now)) {
          n += change(entry, (record) => QueueRecord.expire(record, now))
        }
        const finishedAt = entry.stored.finishedAt
        if (finishedAt !== undefined && finishedAt + retain <= now) messages.delete(id)
      }
      return n
    }

    const finish = (entry: Entry, now: number) => {
      const finishedAt = entry.stored.finishedAt
      if (finishedAt !== undefined && finishedAt + retain <= now) messages.delete(entry.stored.id)
    }

    const store: Service = {
      enqueue: (message, body) =>
        Effect.gen(function*() {
          const chunks = yield* Stream.runCollect(body)
          const now = yield* Clock.currentTimeMillis
          const size = chunks.reduce((n, c) => n + c.byteLength, 0)
          // Copy: the caller may reuse its buffers.
          const copy = chunks.map((c) => Uint8Array.from(c))
          const record = QueueRecord.make(message.id, message.envelope, message.traceId, size, now, message.traceParent)
          messages.set(message.id, { stored: StoredRecord.write(record), body: copy })
          yield* notify
        }),
      claim: (options) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          sweep(now)
          const candidates: Array<{ entry: Entry; domain: string; at: number }> = []
          for (const entry of messages.values()) {
            if (entry.stored.finishedAt !== undefined) continue
            for (const domain of QueueRecord.dueDomains(entry.stored, now, options.domain)) {
              let at = Infinity
              for (const r of entry.stored.recipients) if (r.domain === domain && r.state !== "inflight") at = Math.min(at, r.nextAttemptAt)
              candidates.push({ entry, domain, at })
            }
          }
          candidates.sort((a, b) => a.at - b.at)
          const claims: Array<Claim> = []
          for (const c of candidates) {
            if (claims.length >= options.limit) break
            const claim = change(c.entry, (record) => {
              // A record that cannot be read whole is held, never handed out.
              if (record.quarantine !== undefined) return void QueueRecord.hold(record)
              return QueueRecord.claim(record, c.domain, Ids.leaseToken(), now, now + options.leaseMillis)
            })
            if (claim !== undefined) claims.push(claim)
          }
          return claims
        }),
      renew: (lease, leaseMillis) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const entry = find(lease.messageId)
          if (entry === undefined) return undefined
          const expiresAt = now + leaseMillis
          return change(entry, (record) => QueueRecord.renew(record, lease, expiresAt, now)) ? expiresAt : undefined
        }),
      complete: (lease, outcomes) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const entry = yield* live(lease.messageId)
          const result = change(entry, (record) => QueueRecord.complete(record, lease, outcomes, now), (r) => r.applied)
          finish(entry, now)
          if (result.applied.length > 0) yield* notify
          return result
        }),
      expireLeases: Effect.gen(function*() {
        const n = sweep(yield* Clock.currentTimeMillis)
        if (n > 0) yield* notify
        return n
      }),
      body: (id) =>
        Stream.unwrap(Effect.map(live(id), (entry) => Stream.fromIterable(entry.body))),
      list: (filter, page) =>
        Effect.sync(() => {
          const cursor = Listing.parseCursor(page.cursor)
          const sorted = [...messages.values()]
            .map((e) => e.stored)
            .filter((r) => Listing.isAfter(r.arrivedAt, r.id, cursor))
            .sort((a, b) => a.arrivedAt - b.arrivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          const items = []
          let last: StoredRecord.StoredMessage | undefined
          let more = false
          for (const stored of sorted) {
            const summary = summarize(QueueRecord.view(StoredRecord.read(stored)))
            if (!Listing.matches(summary, stored.recipients.map((r) => r.domain), filter)) continue
            if (items.length === page.limit) {
              more = true
              break
            }
            items.push(summary)
            last = stored
          }
          return { items, next: more && last !== undefined ? Listing.makeCursor(last.arrivedAt, last.id) : undefined }
        }),
      show: (id) => Effect.map(live(id), (e) => QueueRecord.view(StoredRecord.read(e.stored))),
      retryNow: (id) =>
        Effect.gen(function*() {
          const entry = yield* live(id)
          const now = yield* Clock.currentTimeMillis
          const n = change(entry, (record) => QueueRecord.retryNow(record, now))
          if (n > 0) yield* notify
          return n
        }),
      hold: (id) => Effect.map(live(id), (e) => change(e, QueueRecord.hold)),
      release: (id) =>
        Effect.gen(function*() {
          const entry = yield* live(id)
          const reason = StoredRecord.quarantineOf(entry.stored)
          if (reason !== undefined) return yield* new MessageQuarantined({ id, reason })
          const n = change(entry, QueueRecord.release)
          if (n > 0) yield* notify
          return n
        }),
      delete: (id) =>
        Effect.flatMap(live(id), (e) => Effect.sync(() => void messages.delete(e.stored.id))),
      stats: Effect.sync(() => {
        const recipients = Listing.emptyCounts()
        let count = 0
        let oldest: number | undefined
        for (const { stored } of messages.values()) {
          count++
          if (oldest === undefined || stored.arrivedAt < oldest) oldest = stored.arrivedAt
          for (const r of stored.recipients) if (RecipientState.is(r.state)) recipients[r.state]++
        }
        return { messages: count, recipients, oldestArrivedAt: oldest }
      }),
      awaitWork: (maxMillis) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          let next = now + maxMillis
          for (const { stored } of messages.values()) {
            const due = QueueRecord.nextDue(stored)
            if (due !== undefined && due < next) next = due
            for (const r of stored.recipients) {
              if (r.state === "inflight" && r.leaseExpiresAt !== undefined && r.leaseExpiresAt < next) next = r.leaseExpiresAt
            }
          }
          if (next <= now) return
          yield* Effect.raceFirst(Deferred.await(wake), Effect.sleep(Duration.millis(next - now)))
        })
    }
    return { store, records: messages }
  })

/** Builds a memory store. */
export const make = (options: StoreOptions = {}): Effect.Effect<Service> => Effect.map(makeWithRecords(options), (m) => m.store)

/** The memory store's layers (each provides `QueueStore`). */
export class MemoryQueueStore {
  private constructor() {}

  /** A fresh, empty memory store. */
  static readonly layer = (options: StoreOptions = {}): Layer.Layer<QueueStore> => Layer.effect(QueueStore, make(options))
}
