/**
 * The mail queue service.
 *
 * - The SMTP server calls {@link Service.enqueue} after DATA and answers `250` only when it succeeds; on
 *   `QueueUnavailable` it answers `QueueError.tempFailReply` (`451 4.3.0`), and nothing of the message is stored.
 * - Delivery workers loop on {@link Service.claimNext} → deliver → {@link Service.complete}, renewing the lease
 *   ({@link Service.renew}) during long transactions. A deferred outcome without an explicit time is scheduled by
 *   the {@link RetryPolicy}; when the policy gives up, the recipient is recorded as failed and reported in
 *   `gaveUp`, which the worker turns into a bounce.
 * - Operators (CLI, web UI) use list / show / retryNow / hold / release / delete / stats.
 *
 * At-least-once: a recipient is delivered at least once unless deleted; the only duplicate window is between the
 * remote server's `250` and our completion (a crash there makes the lease expire and the recipient be retried).
 *
 * @since 0.1.0
 */
import type { Envelope, SmtpReply } from "@cartero/smtp"
import { Clock, Context, Effect, Layer, Random, Stream } from "effect"
import type { Claim, ClaimOptions, CompleteResult, LeaseRef, StoreOutcome } from "./Claim.ts"
import * as Ids from "./Ids.ts"
import type { ListFilter, Page, PageRequest, Stats } from "./Listing.ts"
import * as MemoryQueueStore from "./MemoryQueueStore.ts"
import type { QueueError, QueueUnavailable } from "./QueueError.ts"
import type { MessageId, QueuedMessage } from "./QueuedMessage.ts"
import { QueueStore } from "./QueueStore.ts"
import type { StoreOptions } from "./QueueStore.ts"
import * as RetryPolicy from "./RetryPolicy.ts"

/** A message handed to the queue. */
export interface EnqueueInput<E = never> {
  readonly envelope: Envelope.Envelope
  /** The message, as received (already CRLF-normalised by the server). Streamed into the store. */
  readonly body: Stream.Stream<Uint8Array, E> | Uint8Array
  /** The trace id of the SMTP session; a new one is made when absent. */
  readonly traceId?: string | undefined
}

/** What a worker reports for one recipient. */
export type Outcome =
  | { readonly _tag: "Delivered"; readonly index: number; readonly reply: SmtpReply.SmtpReply }
  | { readonly _tag: "Failed"; readonly index: number; readonly reply: SmtpReply.SmtpReply }
  | {
    readonly _tag: "Deferred"
    readonly index: number
    readonly reply: SmtpReply.SmtpReply
    /** Overrides the retry policy (e.g. a server's own retry hint). */
    readonly retryAt?: number | undefined
  }

/** The result of {@link Service.complete}. */
export interface CompleteReport extends CompleteResult {
  /** Deferred recipients the retry policy gave up on: recorded as failed; the worker bounces them. */
  readonly gaveUp: ReadonlyArray<number>
}

/** Defaults for claims. */
export interface ClaimDefaults {
  readonly leaseMillis: number
  readonly limit: number
}

/** The operations of the mail queue. */
export interface Service {
  readonly retryPolicy: RetryPolicy.RetryPolicy
  /** Stores a message durably; returns its id. */
  readonly enqueue: <E = never>(input: EnqueueInput<E>) => Effect.Effect<MessageId, QueueUnavailable | E>
  /** Claims due work now (possibly none). */
  readonly claim: (options?: Partial<ClaimOptions>) => Effect.Effect<ReadonlyArray<Claim>, QueueUnavailable>
  /** Claims due work, waiting (notified, never busy-polling) up to `maxWaitMillis` for some to appear. */
  readonly claimNext: (
    options?: Partial<ClaimOptions> & { readonly maxWaitMillis?: number }
  ) => Effect.Effect<ReadonlyArray<Claim>, QueueUnavailable>
  /** Extends a lease; `undefined` when it was lost (the worker may still complete: see `Claim`). */
  readonly renew: (lease: LeaseRef, leaseMillis?: number) => Effect.Effect<number | undefined, QueueUnavailable>
  /** Records the outcome of a delivery attempt for recipients of a claim. */
  readonly complete: (claim: Claim, outcomes: ReadonlyArray<Outcome>) => Effect.Effect<CompleteReport, QueueError>
  /** Returns recipients of dead leases to pending (claims do this too). */
  readonly expireLeases: Effect.Effect<number, QueueUnavailable>
  readonly body: (id: MessageId) => Stream.Stream<Uint8Array, QueueError>
  readonly list: (filter?: ListFilter, page?: Partial<PageRequest>) => Effect.Effect<Page, QueueUnavailable>
  readonly show: (id: MessageId) => Effect.Effect<QueuedMessage, QueueError>
  readonly retryNow: (id: MessageId) => Effect.Effect<number, QueueError>
  readonly hold: (id: MessageId) => Effect.Effect<number, QueueError>
  readonly release: (id: MessageId) => Effect.Effect<number, QueueError>
  readonly delete: (id: MessageId) => Effect.Effect<void, QueueError>
  readonly stats: Effect.Effect<Stats, QueueUnavailable>
}

/** Options of {@link make}. */
export interface Options {
  readonly retryPolicy?: RetryPolicy.RetryPolicy | undefined
  /** Default lease length (5 minutes) and claim size (16). */
  readonly claim?: Partial<ClaimDefaults> | undefined
}

/** Builds the service over the `QueueStore` in context. */
export const make = (options: Options = {}): Effect.Effect<Service, never, QueueStore> =>
  Effect.gen(function*() {
    const store = yield* QueueStore
    const policy = options.retryPolicy ?? RetryPolicy.defaultPolicy
    const defaults: ClaimDefaults = { leaseMillis: 300_000, limit: 16, ...options.claim }
    const claimOptions = (o: Partial<ClaimOptions> | undefined): ClaimOptions => ({
      leaseMillis: o?.leaseMillis ?? defaults.leaseMillis,
      limit: o?.limit ?? defaults.limit,
      domain: o?.domain?.toLowerCase()
    })

    // Runs per message: untraced (Effect.fn("MailQueue.enqueue") made a span and captured two stacks per call;
    // docs/benchmarks.md, "Profile and optimisations").
    const enqueue = Effect.fnUntraced(function*<E>(input: EnqueueInput<E>) {
      if (input.envelope.recipients.length === 0) return yield* Effect.die(new RangeError("an envelope without recipients cannot be queued"))
      const now = yield* Clock.currentTimeMillis
      const id = Ids.messageId(now)
      const body: Stream.Stream<Uint8Array, E> = input.body instanceof Uint8Array ? Stream.make(input.body) : input.body
      yield* store.enqueue({ id, envelope: input.envelope, traceId: input.traceId ?? Ids.traceId() }, body)
      yield* Effect.annotateCurrentSpan({ "cartero.queue.id": id })
      return id
    })

    // Runs per message: untraced (Effect.fn("MailQueue.claim") made a span and captured two stacks per call;
    // docs/benchmarks.md, "Profile and optimisations").
    const claim = Effect.fnUntraced(function*(o?: Partial<ClaimOptions>) {
      return yield* store.claim(claimOptions(o))
    })

    // Runs per message: untraced (Effect.fn("MailQueue.claimNext") made a span and captured two stacks per call;
    // docs/benchmarks.md, "Profile and optimisations").
    const claimNext = Effect.fnUntraced(function*(
      o?: Partial<ClaimOptions> & { readonly maxWaitMillis?: number }
    ) {
      const opts = claimOptions(o)
      const deadline = (yield* Clock.currentTimeMillis) + (o?.maxWaitMillis ?? 30_000)
      while (true) {
        const claims = yield* store.claim(opts)
        const now = yield* Clock.currentTimeMillis
        if (claims.length > 0 || now >= deadline) return claims
        yield* store.awaitWork(deadline - now)
      }
    })

    // Runs per message: untraced (Effect.fn("MailQueue.complete") made a span and captured two stacks per call;
    // docs/benchmarks.md, "Profile and optimisations").
    const complete = Effect.fnUntraced(function*(claim: Claim, outcomes: ReadonlyArray<Outcome>) {
      const now = yield* Clock.currentTimeMillis
      const gaveUp: Array<number> = []
      const stored: Array<StoreOutcome> = []
      for (const o of outcomes) {
        if (o._tag === "Delivered") stored.push({ index: o.index, state: "delivered", reply: o.reply })
        else if (o._tag === "Failed") stored.push({ index: o.index, state: "failed", reply: o.reply })
        else {
          const attempts = (claim.recipients.find((r) => r.index === o.index)?.attempts ?? 0) + 1
          const decision = o.retryAt !== undefined
            ? { _tag: "Retry" as const, at: o.retryAt }
            : RetryPolicy.nextAttempt(policy, { attempts, arrivedAt: claim.arrivedAt, now, random: yield* Random.next })
          if (decision._tag === "Retry") stored.push({ index: o.index, state: "deferred", reply: o.reply, retryAt: decision.at })
          else {
            gaveUp.push(o.index)
            stored.push({ index: o.index, state: "failed", reply: o.reply })
          }
        }
      }
      const result = yield* store.complete(claim, stored)
      return { ...result, gaveUp: gaveUp.filter((i) => result.applied.includes(i)) }
    })

    return {
      retryPolicy: policy,
      enqueue,
      claim,
      claimNext,
      // Runs per message: untraced (Effect.fn("MailQueue.renew") made a span and captured two stacks per call;
      // docs/benchmarks.md, "Profile and optimisations").
      renew: Effect.fnUntraced(function*(lease: LeaseRef, leaseMillis?: number) {
        return yield* store.renew(lease, leaseMillis ?? defaults.leaseMillis)
      }),
      complete,
      expireLeases: store.expireLeases.pipe(Effect.withSpan("MailQueue.expireLeases")),
      body: (id) => store.body(id),
      list: Effect.fn("MailQueue.list")(function*(filter?: ListFilter, page?: Partial<PageRequest>) {
        return yield* store.list(filter ?? {}, { limit: Math.max(1, Math.min(page?.limit ?? 50, 1000)), cursor: page?.cursor })
      }),
      show: Effect.fn("MailQueue.show")(function*(id: MessageId) {
        return yield* store.show(id)
      }),
      retryNow: Effect.fn("MailQueue.retryNow")(function*(id: MessageId) {
        return yield* store.retryNow(id)
      }),
      hold: Effect.fn("MailQueue.hold")(function*(id: MessageId) {
        return yield* store.hold(id)
      }),
      release: Effect.fn("MailQueue.release")(function*(id: MessageId) {
        return yield* store.release(id)
      }),
      delete: Effect.fn("MailQueue.delete")(function*(id: MessageId) {
        return yield* store.delete(id)
      }),
      stats: store.stats.pipe(Effect.withSpan("MailQueue.stats"))
    } satisfies Service
  })

/** The mail queue service. */
export class MailQueue extends Context.Service<MailQueue, Service>()("@cartero/queue/MailQueue") {
  /** Over the `QueueStore` in context, with the default retry policy. */
  static readonly layer: Layer.Layer<MailQueue, never, QueueStore> = Layer.effect(MailQueue, make())

  /** Over the `QueueStore` in context, retry policy from `CARTERO_RETRY_SCHEDULE` / `CARTERO_MAX_QUEUE_AGE`. */
  static readonly layerConfig = Layer.effect(
    MailQueue,
    Effect.gen(function*() {
      const retryPolicy = yield* RetryPolicy.config
      return yield* make({ retryPolicy })
    })
  )

  /** With a fresh memory store, for unit tests of the server, the workers and plugins. */
  static readonly layerStoreMemory = (options: Options & StoreOptions = {}): Layer.Layer<MailQueue | QueueStore> =>
    Layer.effect(MailQueue, make(options)).pipe(Layer.provideMerge(MemoryQueueStore.layer(options)))
}

