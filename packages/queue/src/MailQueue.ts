/**
 * The mail queue service.
 *
 * - The queue store plugin (`@cartero/plugin-queue`) calls {@link Service.enqueue} at the end of DATA; the server
 *   answers `250` only when it succeeds, and `451 4.3.0` when the store is unavailable (nothing of the message is
 *   stored then).
 * - Delivery workers loop on {@link Service.claimNext} → deliver → {@link Service.complete}, renewing the lease
 *   ({@link Service.renew}) during long transactions. The worker decides each recipient's fate (delivered, failed,
 *   or deferred until a given time: when to retry and when to give up is delivery's business, `@cartero/delivery`'s
 *   `Disposition`); the queue records it.
 * - Operators (CLI, web UI) use list / show / retryNow / hold / release / delete / stats.
 *
 * At-least-once: a recipient is delivered at least once unless deleted; the only duplicate window is between the
 * remote server's `250` and our completion (a crash there makes the lease expire and the recipient be retried).
 *
 * @since 0.1.0
 */
import type { Envelope, SmtpReply } from "@cartero/smtp"
import { Clock, Context, Effect, Layer, Stream } from "effect"
import type { Claim, ClaimOptions, CompleteResult, LeaseRef, StoreOutcome } from "./Claim.ts"
import * as Ids from "./Ids.ts"
import type { ListFilter, Page, PageRequest, Stats } from "./Listing.ts"
import * as MemoryQueueStore from "./MemoryQueueStore.ts"
import type { MessageQuarantined, QueueError, QueueUnavailable } from "./QueueError.ts"
import type { MessageId, QueuedMessage } from "./QueuedMessage.ts"
import { QueueStore } from "./QueueStore.ts"
import type { StoreOptions } from "./QueueStore.ts"

/** A message handed to the queue. */
export interface EnqueueInput<E = never> {
  /** The id to store it under (from {@link Service.newId}, so a caller can name it before writing); default a new one. */
  readonly id?: MessageId | undefined
  readonly envelope: Envelope.Envelope
  /** The message, as received (already CRLF-normalised by the server). Streamed into the store. */
  readonly body: Stream.Stream<Uint8Array, E> | Uint8Array
  /** The trace id of the SMTP session; a new one is made when absent. */
  readonly traceId?: string | undefined
  /**
   * The span that accepted the message, as a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), so that its
   * delivery spans continue the trace in whichever process claims it; absent or `""` when it arrived untraced.
   */
  readonly traceParent?: string | undefined
}

/** What a worker reports for one recipient: delivered, failed for good, or deferred until `retryAt` (epoch ms). */
export type Outcome =
  | { readonly _tag: "Delivered"; readonly index: number; readonly reply: SmtpReply.SmtpReply }
  | { readonly _tag: "Failed"; readonly index: number; readonly reply: SmtpReply.SmtpReply }
  | { readonly _tag: "Deferred"; readonly index: number; readonly reply: SmtpReply.SmtpReply; readonly retryAt: number }

/** Defaults for claims. */
export interface ClaimDefaults {
  readonly leaseMillis: number
  readonly limit: number
}

/** The operations of the mail queue. */
export interface Service {
  /** A fresh message id, for a caller that must name the message before it is stored (to undo a cut-short write). */
  readonly newId: Effect.Effect<MessageId>
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
  readonly complete: (claim: Claim, outcomes: ReadonlyArray<Outcome>) => Effect.Effect<CompleteResult, QueueError>
  /** Returns recipients of dead leases to pending (claims do this too). */
  readonly expireLeases: Effect.Effect<number, QueueUnavailable>
  readonly body: (id: MessageId) => Stream.Stream<Uint8Array, QueueError>
  /** The message as one buffer (a body read in one chunk, the usual case, is returned as it is; several are joined once). */
  readonly bytes: (id: MessageId) => Effect.Effect<Uint8Array, QueueError>
  readonly list: (filter?: ListFilter, page?: Partial<PageRequest>) => Effect.Effect<Page, QueueUnavailable>
  readonly show: (id: MessageId) => Effect.Effect<QueuedMessage, QueueError>
  readonly retryNow: (id: MessageId) => Effect.Effect<number, QueueError>
  readonly hold: (id: MessageId) => Effect.Effect<number, QueueError>
  /** Fails with `MessageQuarantined` while the message's record cannot be read whole (see `QueuedMessage.quarantine`). */
  readonly release: (id: MessageId) => Effect.Effect<number, QueueError | MessageQuarantined>
  readonly delete: (id: MessageId) => Effect.Effect<void, QueueError>
  readonly stats: Effect.Effect<Stats, QueueUnavailable>
}

/** Options of {@link make}. */
export interface Options {
  /** Default lease length (5 minutes) and claim size (16). */
  readonly claim?: Partial<ClaimDefaults> | undefined
}

/** Builds the service over the `QueueStore` in context. */
export const make = (options: Options = {}): Effect.Effect<Service, never, QueueStore> =>
  Effect.gen(function*() {
    const store = yield* QueueStore
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
      const id = input.id ?? Ids.messageId(yield* Clock.currentTimeMillis)
      const body: Stream.Stream<Uint8Array, E> = input.body instanceof Uint8Array ? Stream.make(input.body) : input.body
      yield* store.enqueue({ id, envelope: input.envelope, traceId: input.traceId ?? Ids.traceId(), traceParent: input.traceParent }, body)
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

    const states = { Delivered: "delivered", Failed: "failed", Deferred: "deferred" } as const
    const complete = (claim: Claim, outcomes: ReadonlyArray<Outcome>) =>
      store.complete(claim, outcomes.map((o): StoreOutcome =>
        o._tag === "Deferred"
          ? { index: o.index, state: "deferred", reply: o.reply, retryAt: o.retryAt }
          : { index: o.index, state: states[o._tag], reply: o.reply }))

    return {
      newId: Effect.map(Clock.currentTimeMillis, Ids.messageId),
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
      bytes: (id) =>
        Stream.runFold(store.body(id), () => [] as Array<Uint8Array>, (acc, chunk) => {
          acc.push(chunk)
          return acc
        }).pipe(Effect.map((chunks) => {
          const [only] = chunks
          if (chunks.length === 1 && only !== undefined) return only
          const joined = Buffer.concat(chunks)
          return new Uint8Array(joined.buffer, joined.byteOffset, joined.byteLength)
        })),
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
  /** Over the `QueueStore` in context. */
  static readonly layer: Layer.Layer<MailQueue, never, QueueStore> = Layer.effect(MailQueue, make())

  /** With a fresh memory store, for unit tests of the server, the workers and plugins. */
  static readonly layerStoreMemory = (options: Options & StoreOptions = {}): Layer.Layer<MailQueue | QueueStore> =>
    Layer.effect(MailQueue, make(options)).pipe(Layer.provideMerge(MemoryQueueStore.MemoryQueueStore.layer(options)))
}

