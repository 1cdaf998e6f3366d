/**
 * A `QueueStore` on Redis (ioredis 6): the production store, shared by any number of Cartero processes on any
 * number of hosts.
 *
 * - Atomic state changes: each operation is one Lua script (`Scripts.ts`).
 * - Due work is found without scanning: a sorted set per shard keyed by next attempt time.
 * - A claim is atomic, so no two workers anywhere can take the same recipient while its lease lives.
 * - Waiting is notified (pub/sub on `<prefix>notify`) and otherwise sleeps until the earliest due time.
 * - Bodies are binary-safe strings, stored once; large bodies stream in (APPEND under a staging key) and out
 *   (GETRANGE) in chunks.
 * - Keys live under a configurable prefix, so deployments can share one Redis; hash tags keep each shard in one
 *   Cluster slot (`Keys.ts`).
 * - Time is passed from Effect's `Clock` into the scripts: hosts need synchronised clocks (NTP), and leases should
 *   be much longer than the clock skew.
 * - The connection fails fast (no offline queue): while Redis is down every operation fails with
 *   `QueueUnavailable` (the server answers 451), and works again once ioredis has reconnected.
 * - Records are read back through `StoredRecord.read`, which never throws: a message whose envelope, replies or
 *   states cannot be read is quarantined (the claim that meets it holds it, `list`/`show` give the reason), and one
 *   such record never breaks a listing of the others.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { createHash } from "node:crypto"
import { Ids, Listing, QueueError, QueuedMessage, QueueRecord, QueueStore, RecipientState, StoredRecord } from "@cartero/queue"
import type { Claim } from "@cartero/queue"
import { Cluster, Redis } from "ioredis"
import { Clock, Config, Duration, Effect, Layer, Redacted, Result, Stream } from "effect"
import type { Scope } from "effect"
import * as Keys from "./Keys.ts"
import * as RedisClient from "./RedisClient.ts"
import * as Scripts from "./Scripts.ts"

/** Options of the Redis store. */
export interface Options extends QueueStore.StoreOptions {
  /** `redis://[:password@]host:port[/db]`; default `redis://127.0.0.1:6379`. Ignored when `client` is given. */
  readonly url?: string | undefined
  /** An existing client (single node or Cluster); the store does not close it. */
  readonly client?: Redis | Cluster | undefined
  /** Key prefix, e.g. `cartero:prod:` (letters, digits, `:_.-`). Default `cartero:`. */
  readonly prefix?: string | undefined
  /** Number of shards (hash slots) the queue spreads over; raise it for Redis Cluster. Default 1. */
  readonly shards?: number | undefined
  /** Fail an operation that gets no answer within this time. Default 5000 ms. */
  readonly commandTimeoutMillis?: number | undefined
}

type Client = Redis | Cluster
type Arg = string | Buffer | number
/** EVALSHA or EVAL: the script (or its SHA-1), the number of keys, then keys and arguments. */
type ScriptCall = (script: string, numkeys: number, ...args: Array<Arg>) => Promise<unknown>

const chunkBytes = 1 << 20
const readChunkBytes = 256 * 1024
/** Bodies up to this size come with their claim (see {@link Scripts.claim}). */
const inlineBodyBytes = 128 * 1024
/** Bound of the bodies that came with claims and were not read yet (a claim whose body nobody reads). */
const prefetchedBudgetBytes = 8 * 1024 * 1024
const stagingTtlMillis = 3_600_000

const unavailable = (operation: string) => (cause: unknown) => new QueueError.QueueUnavailable({ operation, cause })

/**
 * A command whose reply keeps its bulk strings as Buffers. ioredis generates such a `…Buffer` variant of every
 * command, auto-pipelined like the others, but its type definitions leave out the ones of EVAL and EVALSHA (and
 * `callBuffer` loses the command name under auto-pipelining).
 */
const binaryCall = (c: Client, method: "evalshaBuffer" | "evalBuffer"): ScriptCall => {
  const f: unknown = Reflect.get(c, method)
  if (typeof f !== "function") throw new Error(`ioredis client without ${method}`)
  return (script, numkeys, ...args) => Promise.resolve(Reflect.apply(f, c, [script, numkeys, ...args]))
}

/** Connects (closed with the scope) and builds the store. */
export const make = (options: Options = {}): Effect.Effect<QueueStore.Service, QueueError.QueueUnavailable, Scope.Scope> =>
  Effect.gen(function*() {
    const prefix = options.prefix ?? "cartero:"
    if (!Keys.isValidPrefix(prefix)) return yield* Effect.die(new RangeError(`invalid Redis key prefix ${JSON.stringify(prefix)}`))
    const shardCount = Math.max(1, Math.floor(options.shards ?? 1))
    const retain = options.retainFinishedMillis ?? 0
    const shards = Array.from({ length: shardCount }, (_, n) => Keys.shard(prefix, n))
    const channel = Keys.channel(prefix)
    // A client of our own (RedisClient: fail-fast, auto-pipelined); a given one is connected if it is not yet.
    const tracked: RedisClient.Tracked | undefined = options.client === undefined
      ? yield* RedisClient.acquire({ url: options.url, commandTimeoutMillis: options.commandTimeoutMillis ?? 5000 })
      : options.client instanceof Redis
      ? { client: options.client, lastError: () => undefined }
      : undefined
    const client: Client = tracked?.client ?? options.client ?? (yield* Effect.die(new Error("unreachable: no Redis client")))
    if (tracked !== undefined) yield* RedisClient.connect(tracked, unavailable("connect"))

    const attempt = <A>(operation: string, f: () => Promise<A>) => Effect.tryPromise({ try: f, catch: unavailable(operation) })

    // `binary`: bulk strings in the reply come back as Buffers (a body), not decoded as UTF-8.
    const script = (lua: string, binary = false) => {
      const sha = createHash("sha1").update(lua).digest("hex")
      const [evalsha, evaluate]: [ScriptCall, ScriptCall] = binary
        ? [binaryCall(client, "evalshaBuffer"), binaryCall(client, "evalBuffer")]
        : [(s, n, ...args) => client.evalsha(s, n, ...args), (s, n, ...args) => client.eval(s, n, ...args)]
      return (operation: string, keys: ReadonlyArray<string>, args: ReadonlyArray<Arg>) =>
        attempt(operation, async () => {
          try {
            return await evalsha(sha, keys.length, ...keys, ...args)
          } catch (e) {
            if (!(e instanceof Error && e.message.startsWith("NOSCRIPT"))) throw e
            return await evaluate(lua, keys.length, ...keys, ...args)
          }
        })
    }
    const run = {
      enqueue: script(Scripts.enqueue),
      claim: script(Scripts.claim, true),
      renew: script(Scripts.renew),
      complete: script(Scripts.complete),
      expire: script(Scripts.expire),
      admin: script(Scripts.admin)
    }
    const shardKeys = (k: Keys.ShardKeys) => [k.due, k.leases, k.msgs, k.done, k.stats]
    const shardFor = (id: string): Keys.ShardKeys => shards[Keys.shardOf(id, shardCount)] ?? Keys.shard(prefix, 0)

    // Bodies that came with their claim, until the worker reads them (once: `body` takes the entry), the claim is
    // completed or the message deleted here; oldest dropped first beyond the budget (`body` then reads Redis).
    const prefetched = new Map<string, Uint8Array>()
    let prefetchedBytes = 0
    const dropPrefetched = (id: string) => {
      const bytes = prefetched.get(id)
      if (bytes === undefined) return undefined
      prefetched.delete(id)
      prefetchedBytes -= bytes.byteLength
      return bytes
    }
    const keepPrefetched = (id: string, bytes: Uint8Array) => {
      dropPrefetched(id)
      prefetched.set(id, bytes)
      prefetchedBytes += bytes.byteLength
      for (const oldest of prefetched.keys()) {
        if (prefetchedBytes <= prefetchedBudgetBytes) break
        dropPrefetched(oldest)
      }
    }

    // --- notifications ------------------------------------------------------------------------------------
    const listeners = new Set<() => void>()
    const subscriber: Client = client instanceof Redis ? client.duplicate() : client.duplicate()
    subscriber.on("error", () => {})
    // What makes an idle hint stale: a change made by this process (`changed`), a notification without a number,
    // or one numbered after the hinted claim (`newestEvent`; earlier ones were seen by that claim).
    let notifications = 0
    let newestEvent = 0
    const changed = () => {
      notifications++
    }
    subscriber.on("message", (_channel: string, message: string) => {
      const event = /^e\d+$/.test(message) ? Number(message.slice(1)) : NaN
      if (Number.isNaN(event)) notifications++
      else if (event > newestEvent) newestEvent = event
      for (const l of [...listeners]) l()
    })
    // Idle hints rely on every notification arriving: only while the first subscription lives. After any close of
    // the subscriber (notifications may have been lost), never again: every claim and wait asks Redis, as without.
    let hintsUsable = false
    let subscriberClosed = false
    subscriber.on("close", () => {
      subscriberClosed = true
      hintsUsable = false
      notifications++
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => subscriber.disconnect()))
    let subscribed: Promise<unknown> | undefined
    const connectSubscriber = () => (subscriber instanceof Redis && subscriber.status === "wait" ? subscriber.connect() : Promise.resolve())
    const subscribe = attempt("awaitWork", () => (subscribed ??= connectSubscriber().then(() => subscriber.subscribe(channel)).then(() => {
      hintsUsable = !subscriberClosed
    }).catch((e: unknown) => {
      subscribed = undefined
      throw e
    })))

    /**
     * Set by a claim (single shard, any domain) that took less than it asked for: no more work was due then, and
     * none until `nextAt` (the earliest due time or lease expiry) unless something notifies. So the claim that
     * follows (the worker asking again at once) answers nothing without a round trip, and the wait after it sleeps
     * until `nextAt` or a notification without asking for the due times: two round trips less each time the queue
     * runs empty (docs/benchmarks.md, "Round 3"). A notification numbered after the claim (work queued, deferred,
     * released or retried since; see {@link Scripts.claim}), a notification without a number, and any such change
     * made by this process make the hint stale.
     */
    let idleHint: { readonly seq: number; readonly event: number; readonly nextAt: number; skipped: boolean } | undefined
    const hintLive = (h: { readonly seq: number; readonly event: number }) =>
      hintsUsable && h.seq === notifications && newestEvent <= h.event && subscriber.status === "ready"

    // --- reading records -------------------------------------------------------------------------------------
    const numberOf = (text: string | undefined): number => (text === undefined ? 0 : Number(text))

    /** A record hash read back (see `Scripts.ts` for its fields); `undefined` when the message does not exist. */
    const parse = (id: string, h: Record<string, string>): QueuedMessage.QueuedMessage | undefined => {
      const env = h["env"]
      if (env === undefined) return undefined
      const n = numberOf(h["n"])
      const recipients: Array<StoredRecord.StoredRecipient> = []
      for (let i = 0; i < n; i++) {
        const expires = h[`x:${i}`]
        recipients.push({
          index: i,
          domain: h[`d:${i}`] ?? "",
          state: h[`s:${i}`] ?? "",
          attempts: numberOf(h[`a:${i}`]),
          nextAttemptAt: numberOf(h[`t:${i}`]),
          reply: h[`r:${i}`],
          lease: h[`l:${i}`],
          leaseExpiresAt: expires === undefined ? undefined : Number(expires)
        })
      }
      const fin = h["fin"]
      return QueueRecord.view(StoredRecord.read({
        id,
        envelope: env,
        sender: h["sender"] ?? "",
        arrivedAt: numberOf(h["arr"]),
        traceId: h["trace"] ?? "",
        traceParent: h["tp"],
        bodySize: numberOf(h["size"]),
        held: h["held"] === "1",
        finishedAt: fin === undefined ? undefined : Number(fin),
        recipients
      }))
    }

    /**
     * Whether a claimed record reads whole: its envelope (and the claimed recipients in it) and every stored reply.
     * States, times and domains are written by the scripts alone.
     */
    const readable = (env: string, taken: ReadonlyArray<number>, replies: ReadonlyArray<string>) => {
      const envelope = QueuedMessage.decodeEnvelope(env)
      if (Result.isFailure(envelope)) return undefined
      if (taken.some((i) => envelope.success.recipients[i] === undefined)) return undefined
      for (let j = 1; j < replies.length; j += 2) if (Result.isFailure(QueuedMessage.decodeReply(replies[j] ?? ""))) return undefined
      return envelope.success
    }

    const load = (id: string) =>
      attempt("show", async () => {
        if (!QueuedMessage.isMessageId(id)) return undefined
        return parse(id, await client.hgetall(shardFor(id).message(id)))
      })

    const admin = (op: "hold" | "release" | "retry" | "delete", id: string) =>
      Effect.gen(function*() {
        changed()
        if (!QueuedMessage.isMessageId(id)) return yield* new QueueError.MessageNotFound({ id })
        const k = shardFor(id)
        const now = yield* Clock.currentTimeMillis
        const n = Number(yield* run.admin(op, [...shardKeys(k), k.message(id)], [k.base, id, op, now, channel]))
        if (n < 0) return yield* new QueueError.MessageNotFound({ id })
        return n
      })

    /**
     * Shards with work due (or leases to expire), earliest first: one pipelined round trip, so that with several
     * shards the longest-waiting work still goes first. A single shard needs no ordering.
     */
    const claimOrder = (now: number) =>
      shardCount === 1
        ? Effect.succeed(shards)
        : Effect.map(
          attempt("claim", () => {
            const p = client.pipeline()
            for (const k of shards) p.zrange(k.due, "0", "0", "WITHSCORES").zrange(k.leases, "0", "0", "WITHSCORES")
            return p.exec()
          }),
          (results) => {
            const earliest = (i: number) => {
              let best = Infinity
              for (const r of [results?.[2 * i]?.[1], results?.[2 * i + 1]?.[1]]) {
                const score = Array.isArray(r) ? Number(r[1]) : NaN
                if (!Number.isNaN(score) && score < best) best = score
              }
              return best
            }
            return shards.map((k, i) => ({ k, at: earliest(i) })).filter((x) => x.at <= now).sort((a, b) => a.at - b.at).map((x) => x.k)
          }
        )

    const store: QueueStore.Service = {
      enqueue: (message, body) =>
        Effect.gen(function*() {
          changed()
          const id = message.id
          const k = shardFor(id)
          const buffered: Array<Uint8Array> = []
          let bufferedBytes = 0
          let size = 0
          let staged = false
          // One chunk (the usual case: the server hands over the whole message) is wrapped, not copied.
          const joined = (): Buffer => {
            const [only] = buffered
            return buffered.length === 1 && only !== undefined
              ? Buffer.from(only.buffer, only.byteOffset, only.byteLength)
              : Buffer.concat(buffered)
          }
          const append = () => {
            const data = joined()
            buffered.length = 0
            bufferedBytes = 0
            staged = true
            return attempt("enqueue", () => client.multi().append(k.staging(id), data).pexpire(k.staging(id), stagingTtlMillis).exec())
          }
          const cleanup = Effect.suspend(() => (staged ? attempt("enqueue", () => client.del(k.staging(id))).pipe(Effect.ignore) : Effect.void))
          yield* Stream.runForEach(body, (chunk) => {
            buffered.push(chunk)
            bufferedBytes += chunk.byteLength
            size += chunk.byteLength
            return bufferedBytes >= chunkBytes ? Effect.asVoid(append()) : Effect.void
          }).pipe(Effect.onError(() => cleanup))
          if (staged && bufferedBytes > 0) yield* append().pipe(Effect.onError(() => cleanup))
          const now = yield* Clock.currentTimeMillis
          const domains = message.envelope.recipients.map(QueueRecord.domainOf)
          yield* run.enqueue("enqueue", [...shardKeys(k), k.message(id), k.body(id), k.staging(id)], [
            k.base,
            id,
            now,
            QueuedMessage.encodeEnvelope(message.envelope),
            QueuedMessage.formatMailbox(message.envelope.mailFrom),
            message.traceId,
            size,
            staged ? "staged" : "inline",
            staged ? "" : joined(),
            channel,
            domains.length,
            message.traceParent ?? "",
            ...domains
          ]).pipe(Effect.onError(() => cleanup))
        }),
      claim: (options) =>
        Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const hinted = shardCount === 1 && options.domain === undefined
          const hint = idleHint
          if (hinted && hint !== undefined && !hint.skipped && now < hint.nextAt && hintLive(hint)) {
            hint.skipped = true
            return []
          }
          idleHint = undefined
          const claims: Array<Claim.Claim> = []
          for (const k of yield* claimOrder(now)) {
            if (claims.length >= options.limit) break
            const want = options.limit - claims.length
            const tokens = Array.from({ length: want }, Ids.leaseToken)
            const expiresAt = now + options.leaseMillis
            // Only a claim sent while notifications are known to arrive can vouch for the time after it.
            const seq = hintsUsable ? notifications : undefined
            const reply = yield* run.claim("claim", shardKeys(k), [
              k.base,
              now,
              expiresAt,
              want,
              options.domain === undefined ? "0" : "1",
              options.domain ?? "",
              Math.max(want * 4, 64),
              now - retain,
              inlineBodyBytes,
              ...tokens
            ])
            const [nextDue, nextLease, raw, events] = Array.isArray(reply) ? reply : []
            const entries = Array.isArray(raw) ? raw : []
            const event = Buffer.isBuffer(events) ? Number(events.toString()) : NaN
            if (hinted && seq !== undefined && entries.length < want && !Number.isNaN(event)) {
              const at = (v: unknown) => (Buffer.isBuffer(v) ? Number(v.toString()) : Infinity)
              idleHint = { seq, event, nextAt: Math.min(at(nextDue), at(nextLease)), skipped: false }
            }
            for (const entry of entries) {
              if (!Array.isArray(entry)) continue
              const [id, domain, token, env, arr, trace, size, taken] = entry.slice(0, 8).map(String)
              if (id === undefined || domain === undefined || token === undefined || env === undefined || taken === undefined) continue
              const pairs = taken.split(";").flatMap((pair) => {
                const [i, a] = pair.split(",").map(Number)
                return i === undefined || Number.isNaN(i) ? [] : [{ index: i, attempts: a ?? 0 }]
              }).sort((x, y) => x.index - y.index)
              const replies: unknown = entry[9]
              const envelope = readable(env, pairs.map((p) => p.index), Array.isArray(replies) ? replies.map(String) : [])
              if (envelope === undefined) {
                // A record that cannot be read whole is held, never handed out (nor its body kept).
                yield* run.admin("claim", [...shardKeys(k), k.message(id)], [k.base, id, "quarantine", now, channel, token])
                continue
              }
              const body: unknown = entry[8]
              if (Buffer.isBuffer(body)) keepPrefetched(id, new Uint8Array(body.buffer, body.byteOffset, body.byteLength))
              claims.push({
                messageId: id,
                domain,
                token,
                expiresAt,
                envelope,
                arrivedAt: Number(arr),
                traceId: trace ?? "",
                ...(Buffer.isBuffer(entry[10]) ? { traceParent: entry[10].toString() } : {}),
                bodySize: Number(size),
                recipients: pairs.flatMap((p) => {
                  const recipient = envelope.recipients[p.index]
                  return recipient === undefined ? [] : [{ index: p.index, recipient, attempts: p.attempts }]
                })
              })
            }
          }
          return claims
        }),
      renew: (lease, leaseMillis) =>
        Effect.gen(function*() {
          if (!QueuedMessage.isMessageId(lease.messageId)) return undefined
          const k = shardFor(lease.messageId)
          const now = yield* Clock.currentTimeMillis
          const expiresAt = now + leaseMillis
          const n = yield* run.renew("renew", [k.leases, k.message(lease.messageId)], [lease.messageId, lease.token, expiresAt, now])
          return Number(n) > 0 ? expiresAt : undefined
        }),
      complete: (lease, outcomes) =>
        Effect.gen(function*() {
          // A deferral makes work due again (delivered and failed recipients make none).
          if (outcomes.some((o) => o.state === "deferred")) changed()
          const id = lease.messageId
          dropPrefetched(id)
          if (!QueuedMessage.isMessageId(id)) return yield* new QueueError.MessageNotFound({ id })
          const k = shardFor(id)
          const now = yield* Clock.currentTimeMillis
          const args: Array<Arg> = [k.base, id, lease.domain, lease.token, now, retain, channel, outcomes.length]
          for (const o of outcomes) {
            args.push(o.index, o.state, o.state === "deferred" ? o.retryAt : 0, QueuedMessage.encodeReply(o.reply))
          }
          const raw = yield* run.complete("complete", [...shardKeys(k), k.message(id)], args)
          if (!Array.isArray(raw) || Number(raw[0]) < 0) return yield* new QueueError.MessageNotFound({ id })
          const list = (v: unknown) => (typeof v === "string" && v !== "" ? v.split(",").map(Number) : [])
          return { applied: list(raw[1]), stale: list(raw[2]), finished: Number(raw[3]) === 1 }
        }),
      expireLeases: Effect.gen(function*() {
        changed()
        const now = yield* Clock.currentTimeMillis
        let n = 0
        for (const k of shards) n += Number(yield* run.expire("expireLeases", shardKeys(k), [k.base, now, now - retain]))
        return n
      }),
      body: (id) =>
        Stream.unwrap(Effect.gen(function*() {
          if (!QueuedMessage.isMessageId(id)) return yield* new QueueError.MessageNotFound({ id })
          // Usually the body came with the claim a moment ago: no round trip.
          const claimed = dropPrefetched(id)
          if (claimed !== undefined) return claimed.byteLength === 0 ? Stream.empty : Stream.make(claimed)
          const k = shardFor(id)
          // The first chunk comes with the existence check (one pipelined round trip: a usual message is read whole
          // in one round trip instead of two, docs/benchmarks.md "Profile and optimisations"). A first chunk shorter
          // than a read is the whole body, so the length is asked only when it is not (one command less per message).
          const [exists, first] = yield* attempt("body", () =>
            Promise.all([client.exists(k.message(id)), client.getrangeBuffer(k.body(id), 0, readChunkBytes - 1)]))
          if (exists === 0) return yield* new QueueError.MessageNotFound({ id })
          if (first.byteLength === 0) return Stream.empty
          const head = new Uint8Array(first.buffer, first.byteOffset, first.byteLength)
          if (first.byteLength < readChunkBytes) return Stream.make(head)
          const length = yield* attempt("body", () => client.strlen(k.body(id)))
          const offsets: Array<number> = []
          for (let at = readChunkBytes; at < length; at += readChunkBytes) offsets.push(at)
          return Stream.concat(
            Stream.make(head),
            Stream.fromIterable(offsets).pipe(
              Stream.mapEffect((at) =>
                Effect.map(attempt("body", () => client.getrangeBuffer(k.body(id), at, at + readChunkBytes - 1)), (b) => new Uint8Array(b)))
            )
          )
        })),
      list: (filter, page) =>
        Effect.gen(function*() {
          const cursor = Listing.parseCursor(page.cursor)
          const want = page.limit + 1
          const found: Array<QueuedMessage.MessageSummary> = []
          for (const k of shards) {
            let offset = 0
            let shardFound = 0
            while (shardFound < want) {
              const batch = yield* attempt("list", () =>
                client.zrangebyscore(k.msgs, String(cursor?.arrivedAt ?? "-inf"), "+inf", "WITHSCORES", "LIMIT", String(offset), "200"))
              if (batch.length === 0) break
              offset += batch.length / 2
              const ids: Array<string> = []
              for (let i = 0; i + 1 < batch.length; i += 2) {
                const id = batch[i] ?? ""
                if (Listing.isAfter(Number(batch[i + 1]), id, cursor)) ids.push(id)
              }
              const pipeline = client.pipeline()
              for (const id of ids) pipeline.hgetall(k.message(id))
              const results = ids.length === 0 ? [] : ((yield* attempt("list", () => pipeline.exec())) ?? [])
              for (const [i, id] of ids.entries()) {
                const h = results[i]?.[1]
                if (h === null || typeof h !== "object") continue
                const m = parse(id, h as Record<string, string>)
                if (m === undefined) continue
                const summary = QueuedMessage.summarize(m)
                if (!Listing.matches(summary, m.recipients.map((r) => r.domain), filter)) continue
                found.push(summary)
                if (++shardFound >= want) break
              }
              if (batch.length < 400) break
            }
          }
          found.sort((a, b) => a.arrivedAt - b.arrivedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
          const items = found.slice(0, page.limit)
          const last = items[items.length - 1]
          return { items, next: found.length > page.limit && last !== undefined ? Listing.makeCursor(last.arrivedAt, last.id) : undefined }
        }),
      show: (id) =>
        Effect.flatMap(load(id), (m) => (m === undefined ? Effect.fail(new QueueError.MessageNotFound({ id })) : Effect.succeed(m))),
      retryNow: (id) => admin("retry", id),
      hold: (id) => admin("hold", id),
      release: (id) =>
        Effect.gen(function*() {
          // Checked first (an operator action: one more round trip is fine); a fix and a release race harmlessly.
          const m = yield* load(id)
          if (m?.quarantine !== undefined) return yield* new QueueError.MessageQuarantined({ id, reason: m.quarantine })
          return yield* admin("release", id)
        }),
      delete: (id) => Effect.suspend(() => {
        dropPrefetched(id)
        return Effect.asVoid(admin("delete", id))
      }),
      stats: Effect.gen(function*() {
        const recipients = Listing.emptyCounts()
        let messages = 0
        let oldest: number | undefined
        for (const k of shards) {
          const [h, first] = yield* attempt("stats", () => Promise.all([client.hgetall(k.stats), client.zrange(k.msgs, "0", "0", "WITHSCORES")]))
          for (const state of RecipientState.all) recipients[state] += Number(h[state] ?? "0")
          messages += Number(h["messages"] ?? "0")
          const score = first[1]
          if (score !== undefined && (oldest === undefined || Number(score) < oldest)) oldest = Number(score)
        }
        return { messages, recipients, oldestArrivedAt: oldest }
      }),
      awaitWork: (maxMillis) =>
        Effect.gen(function*() {
          yield* subscribe
          const state = { fired: false, resume: undefined as (() => void) | undefined }
          const listener = () => {
            state.fired = true
            state.resume?.()
          }
          yield* Effect.acquireUseRelease(
            Effect.sync(() => listeners.add(listener)),
            () =>
              Effect.gen(function*() {
                const now = yield* Clock.currentTimeMillis
                let next = now + maxMillis
                // Checked after the listener is in place: a notification from now on wakes us.
                const hint = idleHint
                idleHint = undefined
                if (hint !== undefined && hintLive(hint)) next = Math.min(next, hint.nextAt)
                else {
                  for (const k of shards) {
                    const [due, lease] = yield* attempt("awaitWork", () =>
                      Promise.all([client.zrange(k.due, "0", "0", "WITHSCORES"), client.zrange(k.leases, "0", "0", "WITHSCORES")]))
                    for (const score of [due[1], lease[1]]) if (score !== undefined && Number(score) < next) next = Number(score)
                  }
                }
                if (next <= now || state.fired) return
                yield* Effect.raceFirst(
                  Effect.callback<void>((resume) => {
                    if (state.fired) resume(Effect.void)
                    else state.resume = () => resume(Effect.void)
                  }),
                  Effect.sleep(Duration.millis(next - now))
                )
              }),
            () => Effect.sync(() => listeners.delete(listener))
          )
        })
    }
    return store
  })

/** The Redis store's layers (each provides `QueueStore`). */
export class RedisQueueStore {
  private constructor() {}

  /** The store with the given options. */
  static readonly layer = (options: Options = {}): Layer.Layer<QueueStore.QueueStore, QueueError.QueueUnavailable> =>
    Layer.effect(QueueStore.QueueStore, make(options))

  /**
   * The store configured from `CARTERO_REDIS_URL` (default `redis://127.0.0.1:6379`), `CARTERO_QUEUE_PREFIX`
   * (default `cartero:`), `CARTERO_QUEUE_SHARDS` (default 1) and `CARTERO_QUEUE_RETAIN` (a duration such as `1h`,
   * default none).
   */
  static readonly layerConfig = Layer.unwrap(Effect.gen(function*() {
    const url = yield* Config.Redacted("CARTERO_REDIS_URL").pipe(Config.withDefault(Redacted.make("redis://127.0.0.1:6379")))
    const prefix = yield* Config.String("CARTERO_QUEUE_PREFIX").pipe(Config.withDefault("cartero:"))
    const shards = yield* Setting.config("CARTERO_QUEUE_SHARDS", "an integer 1-1024", Setting.int(1, 1024)).pipe(Config.withDefault(1))
    const retain = yield* Setting.config("CARTERO_QUEUE_RETAIN", "a duration such as 1h", Setting.duration).pipe(Config.withDefault(Duration.zero))
    return RedisQueueStore.layer({ url: Redacted.value(url), prefix, shards, retainFinishedMillis: Duration.toMillis(retain) })
  }))
}

/** Re-exported so callers can build a Cluster client without importing ioredis themselves. */
export { Cluster, Redis }
