/**
 * A `QueueStore` in memory: for unit tests and for trying things out. Same semantics as the durable stores
 * (it passes the conformance suite), no durability. Every operation is one synchronous step, hence atomic.
 *
 * @since 0.1.0
 */
import { Clock, Deferred, Duration, Effect, Layer, Stream } from "effect"
import type { Claim } from "./Claim.ts"
import * as Ids from "./Ids.ts"
import * as Listing from "./Listing.ts"
import { MessageNotFound } from "./QueueError.ts"
import * as QueueRecord from "./QueueRecord.ts"
import { isMessageId, summarize } from "./QueuedMessage.ts"
import type { MessageId } from "./QueuedMessage.ts"
import { QueueStore } from "./QueueStore.ts"
import type { Service, StoreOptions } from "./QueueStore.ts"

interface Entry {
  readonly record: QueueRecord.MessageRecord
  readonly body: ReadonlyArray<Uint8Array>
}

/** Builds a memory store. */
export const make = (options: StoreOptions = {}): Effect.Effect<Service> =>
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

    const sweep = (now: number): number => {
      let n = 0
      for (const [id, { record }] of messages) {
        n += QueueRecord.expire(record, now)
        if (record.finishedAt !== undefined && record.finishedAt + retain <= now) messages.delete(id)
      }
      return n
    }

    const finish = (record: QueueRecord.MessageRecord, now: number) => {
      if (record.finishedAt !== undefined && record.finishedAt + retain <= now) messages.delete(record.id)
    }

    const store: Service = {
      enqueue: (message, body) =>
        Effect.gen(function*() {
          const chunks = yield* Stream.runCollect(body)
          const now = yield* Clock.currentTimeMillis
          const size = chunks.reduce((n, c) => n + c.byteLength, 0)
          // Copy: the caller may reuse its buffers.
          const copy = chunks.map((c) => Uint8Array.from(c))
          messages.set(message.id, { record: QueueRecord.make(message.id, message.envelope, message.traceId, size, now), body: copy })
          yield* notify
        }),
      claim: (options) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          sweep(now)
          const candidates: Array<{ record: QueueRecord.MessageRecord; domain: string; at: number }> = []
          for (const { record } of messages.values()) {
            if (record.finishedAt !== undefined) continue
            for (const domain of QueueRecord.dueDomains(record, now, options.domain)) {
              let at = Infinity
              for (const r of record.recipients) if (r.domain === domain && r.state !== "inflight") at = Math.min(at, r.nextAttemptAt)
              candidates.push({ record, domain, at })
            }
          }
          candidates.sort((a, b) => a.at - b.at)
          const claims: Array<Claim> = []
          for (const c of candidates.slice(0, options.limit)) {
            const claim = QueueRecord.claim(c.record, c.domain, Ids.leaseToken(), now, now + options.leaseMillis)
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
          return QueueRecord.renew(entry.record, lease, expiresAt, now) ? expiresAt : undefined
        }),
      complete: (lease, outcomes) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const { record } = yield* live(lease.messageId)
          const result = QueueRecord.complete(record, lease, outcomes, now)
          finish(record, now)
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
            .map((e) => e.record)
            .filter((r) => Listing.isAfter(r.arrivedAt, r.id, cursor))
            .sort((a, b) => a.arrivedAt - b.arrivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          const items = []
          let last: QueueRecord.MessageRecord | undefined
          let more = false
          for (const record of sorted) {
            const summary = summarize(QueueRecord.view(record))
            if (!Listing.matches(summary, record.recipients.map((r) => r.domain), filter)) continue
            if (items.length === page.limit) {
              more = true
              break
            }
            items.push(summary)
            last = record
          }
          return { items, next: more && last !== undefined ? Listing.makeCursor(last.arrivedAt, last.id) : undefined }
        }),
      show: (id) => Effect.map(live(id), (e) => QueueRecord.view(e.record)),
      retryNow: (id) =>
        Effect.gen(function*() {
          const { record } = yield* live(id)
          const n = QueueRecord.retryNow(record, yield* Clock.currentTimeMillis)
          if (n > 0) yield* notify
          return n
        }),
      hold: (id) => Effect.map(live(id), (e) => QueueRecord.hold(e.record)),
      release: (id) =>
        Effect.gen(function*() {
          const { record } = yield* live(id)
          const n = QueueRecord.release(record)
          if (n > 0) yield* notify
          return n
        }),
      delete: (id) =>
        Effect.flatMap(live(id), (e) => Effect.sync(() => void messages.delete(e.record.id))),
      stats: Effect.sync(() => {
        const recipients = Listing.emptyCounts()
        let count = 0
        let oldest: number | undefined
        for (const { record } of messages.values()) {
          count++
          if (oldest === undefined || record.arrivedAt < oldest) oldest = record.arrivedAt
          for (const r of record.recipients) recipients[r.state]++
        }
        return { messages: count, recipients, oldestArrivedAt: oldest }
      }),
      awaitWork: (maxMillis) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          let next = now + maxMillis
          for (const { record } of messages.values()) {
            const due = QueueRecord.nextDue(record)
            if (due !== undefined && due < next) next = due
            for (const r of record.recipients) {
              if (r.state === "inflight" && r.leaseExpiresAt !== undefined && r.leaseExpiresAt < next) next = r.leaseExpiresAt
            }
          }
          if (next <= now) return
          yield* Effect.raceFirst(Deferred.await(wake), Effect.sleep(Duration.millis(next - now)))
        })
    }
    return store
  })

/** The memory store's layers (each provides `QueueStore`). */
export class MemoryQueueStore {
  private constructor() {}

  /** A fresh, empty memory store. */
  static readonly layer = (options: StoreOptions = {}): Layer.Layer<QueueStore> => Layer.effect(QueueStore, make(options))
}
