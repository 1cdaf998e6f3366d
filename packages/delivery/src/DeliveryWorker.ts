/**
 * The delivery worker: claims due work from the queue, routes it, sends it, records the outcome, bounces failures.
 *
 * One claim = the due recipients of one message for one destination domain = one SMTP transaction. For each:
 * 1. the `route` hook, else the {@link Router} (static routes, MX, implicit MX; null MX / NXDOMAIN / loops bounce,
 *    DNS trouble defers);
 * 2. `beforeSend` hooks (headers to prepend, e.g. DKIM-Signature);
 * 3. under the {@link DestinationLimits}, each host of the route and each of its addresses in turn until one gives a
 *    session (`ConnectError` → next address; an AUTH failure at a relay counts as one); no session at all defers
 *    everything with the last connect error. The client connects to the address but speaks to the host's *name*
 *    (SNI, certificate check, `Remote.host`, DSN `Remote-MTA`), and authenticates with the hop's credentials, if any;
 * 4. the `delivered` observers, then {@link Disposition} decides each recipient (2yz delivered, 5yz failed, 4yz
 *    retried when the `deferred` hooks or the retry policy say, or given up) and `MailQueue.complete` records it;
 * 5. failed and given-up recipients get one DSN per message per batch (see {@link Bounce}), unless the sender is
 *    `<>`; the `bounced` hook may suppress or redirect it. The DSN is queued like any other message.
 *
 * The lease is kept ({@link LeaseKeeper}) while the claim is worked on. Every attempt is logged per recipient
 * (queue id, recipient, host, address, reply, duration) and counted ({@link DeliveryMetrics}).
 *
 * `DeliveryWorker.layer` runs `workers` fibers until its scope closes; on close, no new work is claimed and
 * in-flight deliveries get `shutdownTimeout` to finish before they are interrupted (their leases then expire and
 * the work is claimed again: at-least-once).
 *
 * @since 0.1.0
 */
import { TraceGate } from "@cartero/hotpath"
import { type Claim, MailQueue, type QueueError } from "@cartero/queue"
import { type Envelope, HopCount, SmtpReply, Verdict } from "@cartero/smtp"
import type { Dns } from "@cartero/dns"
import { Cause, Clock, type Config, Context, Duration, Effect, Fiber, Layer, Queue, Random } from "effect"
import * as AttemptLog from "./AttemptLog.ts"
import * as AttemptSpan from "./AttemptSpan.ts"
import * as Bounce from "./Bounce.ts"
import type { ConnectError } from "./ConnectError.ts"
import { DeliveryConfig, type Endpoint, type Settings, tlsFor } from "./DeliveryConfig.ts"
import * as DeliveryMetrics from "./DeliveryMetrics.ts"
import * as DeliveryResult from "./DeliveryResult.ts"
import * as DestinationLimits from "./DestinationLimits.ts"
import * as Disposition from "./Disposition.ts"
import * as LeaseKeeper from "./LeaseKeeper.ts"
import type { BouncedRecipient, ClaimContext } from "./OutboundHooks.ts"
import { OutboundPipeline, renderHeaders } from "./OutboundPipeline.ts"
import * as Replies from "./Replies.ts"
import * as Route from "./Route.ts"
import { Router } from "./Router.ts"
import { SmtpClient } from "./SmtpClient.ts"
import * as TlsPolicy from "./TlsPolicy.ts"

/** What happened to one claim. */
export interface ClaimReport {
  readonly messageId: string
  readonly domain: string
  readonly route: Route.Route
  readonly results: ReadonlyArray<DeliveryResult.RecipientResult>
  /** Envelope indexes recorded as failed by this attempt (permanent failures and recipients given up). */
  readonly bounced: ReadonlyArray<number>
  /** Whether a DSN was queued. */
  readonly dsn: boolean
}

/** The worker service (the layer also runs the worker fibers). */
export class DeliveryWorker extends Context.Service<DeliveryWorker, {
  /** Delivers one claim now (what each worker fiber does with what it claims). */
  readonly deliver: (claim: Claim.Claim) => Effect.Effect<ClaimReport>
  /** Transactions in progress, in total and per destination. */
  readonly active: DestinationLimits.DestinationLimits["active"]
}>()("@cartero/delivery/DeliveryWorker") {
  /** Runs `workers` worker fibers for the lifetime of the layer. */
  static readonly layer: Layer.Layer<DeliveryWorker, never, MailQueue.MailQueue | SmtpClient | Router | OutboundPipeline | DeliveryConfig> =
    Layer.effect(
      DeliveryWorker,
      Effect.gen(function*() {
        const settings = yield* DeliveryConfig
        const queue = yield* MailQueue.MailQueue
        const worker = yield* make
        const workers = yield* runWorkers(queue, worker, settings)
        // Registered after the forks, so it runs before their interruption: stop claiming, let in-flight work finish.
        yield* Effect.addFinalizer(() =>
          workers.stop.pipe(
            Effect.andThen(Fiber.awaitAll(workers.fibers).pipe(Effect.timeoutOption(settings.shutdownTimeout))),
            Effect.andThen(Effect.logDebug("delivery workers stopped"))
          ))
        return worker
      })
    )

  /**
   * The whole outbound side from configuration: {@link DeliveryConfig.layerConfig}, an `SmtpClient` whose EHLO
   * name is `CARTERO_HOSTNAME`, the {@link Router} and the given outbound pipeline. The app still provides the
   * `MailQueue` (with its retry policy, e.g. `MailQueue.layerConfig`) and `Dns` (e.g. `Dns.layerConfig`); the
   * pipeline's plugins may use `DeliveryConfig` (provided here). `self` adds what the running app knows about
   * itself to loop detection (`DeliveryConfig.layerConfigWith`).
   */
  static readonly layerConfig = <E, R, RS = never>(
    pipeline: Layer.Layer<OutboundPipeline, E, R>,
    self?: Effect.Effect<{ readonly endpoints?: ReadonlyArray<Endpoint>; readonly names?: ReadonlyArray<string> }, never, RS>
  ): Layer.Layer<DeliveryWorker, E | Config.ConfigError, Exclude<R, DeliveryConfig> | MailQueue.MailQueue | Dns.Dns | RS> => {
    const client = Layer.unwrap(Effect.gen(function*() {
      const settings = yield* DeliveryConfig
      return SmtpClient.layer({
        heloName: settings.hostname,
        tls: TlsPolicy.make(settings.tls, { verify: settings.tls === "required" }),
        // Keep as many idle sessions per destination as may be busy at once: with the pool's default (4) a busy
        // destination closed and reopened sessions all the time (docs/benchmarks.md, "Profile and optimisations").
        pool: { maxIdlePerKey: Math.min(settings.destinationConcurrency, settings.maxConnections) }
      })
    }))
    const config: Layer.Layer<DeliveryConfig, Config.ConfigError, RS> = self === undefined
      ? DeliveryConfig.layerConfig
      : DeliveryConfig.layerConfigWith(self)
    const deps = Layer.mergeAll(Router.layer, client, pipeline).pipe(Layer.provideMerge(config))
    return DeliveryWorker.layer.pipe(Layer.provide(deps))
  }

  /** The service without worker fibers (deliver claims yourself; tests, one-shot flushes). */
  static readonly layerNoWorkers: Layer.Layer<DeliveryWorker, never, MailQueue.MailQueue | SmtpClient | Router | OutboundPipeline | DeliveryConfig> =
    Layer.effect(DeliveryWorker, Effect.suspend(() => make))
}

/** Most claims taken in one round trip. */
const maxClaimBatch = 16

/**
 * One claimer per process feeding `workers` worker fibers, rather than every idle worker claiming (and waiting for
 * work) on its own: with 50 idle workers, each "work is due" notification woke all 50 and each made its own claim
 * and its own due-time query, ≈ 100 queue round trips per enqueued message (docs/benchmarks.md, "Profile and
 * optimisations"). The claimer asks for as many claims as there are idle workers (at most {@link maxClaimBatch})
 * in one call, so a claim never waits for a worker and its lease starts when work can start.
 *
 * `stop` interrupts the claimer (a claim in progress is dropped: its lease expires) and ends the hand-over queue;
 * workers finish what they hold (and what was already handed to them), then return. The fibers are the ones to
 * await at shutdown. Stopping is not raced against every take and every claim (`Effect.raceFirst` forked two fibers
 * per message: docs/benchmarks.md, "Round 3").
 */
const runWorkers = (queue: MailQueue.Service, worker: DeliveryWorker["Service"], settings: Settings) =>
  Effect.gen(function*() {
    const leaseMillis = Duration.toMillis(settings.lease)
    const work = yield* Queue.unbounded<Claim.Claim, Cause.Done>()
    // Workers not holding a claim (taken or queued for them): the claimer never claims more than this.
    let idle = settings.workers
    let wakeClaimer: (() => void) | undefined
    const waitForIdle = Effect.callback<void>((resume) => {
      if (idle > 0) return resume(Effect.void)
      wakeClaimer = () => resume(Effect.void)
      return Effect.sync(() => {
        wakeClaimer = undefined
      })
    })
    const claimer = Effect.gen(function*() {
      while (true) {
        yield* waitForIdle
        const claimed = yield* Effect.result(queue.claimNext({ limit: Math.min(idle, maxClaimBatch), leaseMillis, maxWaitMillis: 30_000 }))
        if (claimed._tag === "Failure") {
          yield* Effect.logWarning("cannot claim work from the queue; retrying", Cause.fail(claimed.failure))
          yield* Effect.sleep("1 second")
          continue
        }
        idle -= claimed.success.length
        for (const claim of claimed.success) Queue.offerUnsafe(work, claim)
      }
    })
    const done = () => {
      idle++
      const wake = wakeClaimer
      wakeClaimer = undefined
      wake?.()
    }
    const nothing = Effect.succeed(undefined)
    const loop = Effect.gen(function*() {
      while (true) {
        // Fails with `Done` once the queue is ended and drained: the worker stops.
        const claim = yield* Queue.take(work).pipe(Effect.catch(() => nothing))
        if (claim === undefined) return
        yield* worker.deliver(claim).pipe(Effect.ensuring(Effect.sync(done)))
      }
    })
    // No workers: a receive-only process (accept and queue; other processes deliver). Nothing is claimed.
    if (settings.workers === 0) return { fibers: [], stop: Queue.end(work) }
    const claimerFiber = yield* Effect.forkScoped(claimer)
    const workerFibers = yield* Effect.forEach(Array.from({ length: settings.workers }, (_, i) => i), (i) =>
      Effect.forkScoped(loop.pipe(Effect.annotateLogs({ worker: i }))))
    const stop = Fiber.interrupt(claimerFiber).pipe(Effect.andThen(Queue.end(work)))
    return { fibers: [claimerFiber, ...workerFibers], stop }
  })

/** Builds the service; its lease keeper lives in the current scope. */
export const make = Effect.gen(function*() {
  const settings = yield* DeliveryConfig
  yield* DeliveryMetrics.register
  const queue = yield* MailQueue.MailQueue
  const client = yield* SmtpClient
  const router = yield* Router
  const pipeline = yield* OutboundPipeline
  const limits = yield* DestinationLimits.make(settings)
  const leases = LeaseKeeper.make(queue, settings.lease, yield* Effect.scope)

  const describeHost = (host: Route.Host, address: string) => (address === host.name ? host.name : `${host.name}[${address}]`)

  /** `relay=` of an attempt: the server that answered (or was last tried), `none` when no host was tried. */
  const relayOf = (route: Route.Route, sent: Sent | undefined): string =>
    route._tag !== "Hosts" || sent === undefined || (sent.host === undefined && sent.result.remote.address === undefined)
      ? "none"
      : AttemptLog.relay(sent.result.remote)

  /** The route of a claim: a `route` hook's, else the {@link Router}'s. */
  const routeOf = (context: ClaimContext): Effect.Effect<Route.Route> =>
    Effect.flatMap(pipeline.route(context), (verdict): Effect.Effect<Route.Route> => {
      switch (verdict._tag) {
        case "Continue":
          return router.route(context.domain)
        case "Accept":
          return router.relays(context.domain, verdict.value, "plugin")
        case "Reject":
          return Effect.succeed(Route.bounce(context.domain, verdict.reply))
        case "Defer":
          return Effect.succeed(Route.defer(context.domain, verdict.reply))
      }
    })

  /** Tries each address of each host until one gives a session. */
  const sendVia = Effect.fnUntraced(function*(route: Route.Hosts, envelope: Envelope.Envelope, message: Uint8Array) {
    let last: ConnectError | undefined
    let tried = 0
    for (const host of route.hosts) {
      for (const address of host.addresses) {
        if (tried++ >= settings.maxAddresses) break
        // The name stays the name (SNI, certificate check, Remote-MTA, logs); the address is where we connect.
        const attempt = yield* Effect.result(client.send({
          host: host.name,
          address,
          port: host.port,
          tls: host.tls ?? tlsFor(settings),
          ...(host.auth !== undefined ? { auth: host.auth } : {}),
          envelope,
          message
        }).pipe(TraceGate.span("delivery.send", () => ({ "server.address": host.name, "network.peer.address": address, "server.port": host.port }))))
        if (attempt._tag === "Success") return { result: attempt.success, host, address }
        last = attempt.failure
        yield* Effect.logInfo("connect failed, trying the next address").pipe(
          Effect.annotateLogs({ relay: describeHost(host, address), error: attempt.failure.message })
        )
      }
    }
    const reply = last?.toReply() ?? Replies.noHostTried(route.domain)
    const first = route.hosts[0]
    return {
      result: {
        remote: { host: last?.host ?? first?.name ?? route.domain, port: last?.port ?? first?.port ?? settings.port, address: last?.address, greetingName: undefined, tls: undefined },
        recipients: DeliveryResult.all(envelope.recipients, reply, "connect", true),
        reusedConnection: false
      } satisfies DeliveryResult.TransactionResult,
      host: undefined,
      address: undefined
    }
  })

  type Sent = Effect.Success<ReturnType<typeof sendVia>>

  /**
   * One attempt over a route of hosts: the `beforeSend` headers, the queued body, the destination limits (statically
   * routed mail is limited per relay, the next hop; MX-routed mail per domain), then the hosts in turn.
   */
  const attempt = Effect.fnUntraced(function*(claim: Claim.Claim, route: Route.Hosts, context: ClaimContext, body: Effect.Effect<Uint8Array, QueueError.QueueError>) {
    const all = (reply: SmtpReply.SmtpReply) => ({ results: DeliveryResult.all(context.envelope.recipients, reply, "connect", true), sent: undefined })
    const headers = yield* Effect.result(pipeline.beforeSend({ ...context, message: body }))
    if (headers._tag === "Failure") return all(headers.failure)
    const original = yield* Effect.result(body)
    if (original._tag === "Failure") {
      yield* Effect.logError("cannot read the queued message", Cause.fail(original.failure))
      return all(Replies.queuedMessageUnreadable)
    }
    // A message queued with more hops than allowed (received under a higher limit, or queued by code that skipped
    // the listener's check) would go on looping: bounce it rather than send it.
    const hops = HopCount.count(original.success)
    if (hops > settings.maxHops) return all(Replies.tooManyHops(hops, settings.maxHops))
    const message = headers.success.length === 0
      ? original.success
      : new Uint8Array(Buffer.concat([renderHeaders(headers.success), original.success]))
    const first = route.hosts[0]
    const destination = first !== undefined && first.source !== "mx" && first.source !== "implicit" ? `relay:${first.name}:${first.port}` : claim.domain
    const sent: Sent = yield* limits.run(destination, sendVia(route, context.envelope, message))
    return { results: sent.result.recipients, sent }
  })

  /** Queues one DSN for `bounces` (unless the `bounced` hooks suppress it); whether one was queued. */
  const bounce = Effect.fnUntraced(function*(claim: Claim.Claim, bounces: ReadonlyArray<BouncedRecipient>, original: Uint8Array) {
    const decision = yield* pipeline.bounced({ messageId: claim.messageId, envelope: claim.envelope, recipients: bounces })
    if (decision._tag === "Reject") {
      yield* Effect.logInfo("bounce suppressed by a plugin").pipe(Effect.annotateLogs({ reply: SmtpReply.toString(decision.reply) }))
      return false
    }
    const dsn = Bounce.make({
      hostname: settings.hostname,
      messageId: claim.messageId,
      envelope: claim.envelope,
      arrivedAt: claim.arrivedAt,
      recipients: bounces,
      original,
      to: decision._tag === "Accept" ? decision.value : undefined,
      now: new Date(yield* Clock.currentTimeMillis)
    })
    if (dsn === undefined) return false
    // The bounce stays in the original's trace, as a child of this attempt.
    const traceParent = yield* TraceGate.traceParent
    const queued = yield* Effect.result(queue.enqueue({ envelope: dsn.envelope, body: dsn.body, traceId: claim.traceId, traceParent }))
    if (queued._tag === "Failure") {
      yield* Effect.logError("cannot queue the bounce", Cause.fail(queued.failure))
      return false
    }
    yield* DeliveryMetrics.incrementDsn
    yield* Effect.logInfo("bounce queued").pipe(Effect.annotateLogs({ dsnId: queued.success, recipients: dsn.recipients.length }))
    return true
  })

  // Runs per message: untraced (Effect.fn("DeliveryWorker.deliver") made a span and captured two stacks per call;
  // docs/benchmarks.md, "Profile and optimisations").
  const deliver = Effect.fnUntraced(function*(claim: Claim.Claim) {
    const started = yield* Clock.currentTimeMillis
    const envelope: Envelope.Envelope = { ...claim.envelope, recipients: claim.recipients.map((r) => r.recipient) }
    const context: ClaimContext = { messageId: claim.messageId, domain: claim.domain, envelope, traceId: claim.traceId }
    const body = yield* Effect.cached(queue.bytes(claim.messageId))

    // Keep the lease while we work (released below, however `deliver` ends).
    yield* leases.hold(claim, started)

    const route = yield* routeOf(context)
    const { results, sent }: { results: ReadonlyArray<DeliveryResult.RecipientResult>; sent: Sent | undefined } = route._tag === "Hosts"
      ? yield* attempt(claim, route, context, body)
      : { results: DeliveryResult.all(envelope.recipients, route.reply, "connect", true), sent: undefined }
    const now = yield* Clock.currentTimeMillis
    const millis = now - started

    const delivered = results.filter((r): r is DeliveryResult.Delivered => r._tag === "Delivered")
    const deferred = results.filter((r): r is DeliveryResult.Deferred => r._tag === "Deferred")
    if (delivered.length > 0) yield* pipeline.delivered({ ...context, results: delivered, remote: sent?.result.remote })
    const deferVerdict = deferred.length === 0
      ? Verdict.next
      : yield* pipeline.deferred({ ...context, results: deferred, attempts: (claim.recipients[0]?.attempts ?? 0) + 1, arrivedAt: claim.arrivedAt })
    const { bounces, outcomes } = Disposition.decide({
      claim,
      results,
      deferred: deferVerdict,
      policy: settings.retry,
      now,
      random: yield* Random.next,
      remoteMta: sent?.host?.name
    })

    const logged: AttemptLog.Attempt = { claim, results, outcomes, relay: relayOf(route, sent), now, started }
    yield* AttemptSpan.record(logged)
    yield* AttemptLog.attempts(logged)

    // The body may be gone once every recipient is final: load it now if a bounce may be needed.
    const original = bounces.length > 0 && claim.envelope.mailFrom !== null ? yield* Effect.option(body) : undefined

    const report = yield* Effect.result(queue.complete(claim, outcomes))
    if (report._tag === "Failure") {
      // Nothing recorded: the lease expires and the recipients are tried again (the at-least-once window).
      yield* Effect.logError("cannot record delivery outcome", Cause.fail(report.failure))
      yield* DeliveryMetrics.record({ delivered: delivered.length, deferred: 0, bounced: 0 }, millis, DeliveryMetrics.classOf(route))
      return { messageId: claim.messageId, domain: claim.domain, route, results, bounced: [], dsn: false }
    }
    // A recipient claimed by someone else meanwhile is theirs to report.
    const applied = new Set(report.success.applied)
    const failures = bounces.filter((b) => applied.has(b.index))
    const gaveUp = failures.filter((b) => b.recipient.expired).length
    yield* DeliveryMetrics.record({ delivered: delivered.length, deferred: deferred.length - gaveUp, bounced: failures.length }, millis, DeliveryMetrics.classOf(route))

    let dsn = false
    if (failures.length > 0) {
      if (claim.envelope.mailFrom === null) {
        yield* Effect.logInfo("not bouncing a bounce (null sender)").pipe(Effect.annotateLogs({ queueId: claim.messageId }))
      } else {
        dsn = yield* bounce(claim, failures.map((b) => b.recipient), original?._tag === "Some" ? original.value : new Uint8Array())
      }
    }
    return { messageId: claim.messageId, domain: claim.domain, route, results, bounced: failures.map((b) => b.index), dsn }
  }, (effect, claim) =>
    effect.pipe(
      AttemptSpan.around(claim),
      Effect.ensuring(Effect.sync(() => leases.release(claim))),
      Effect.annotateLogs({ queueId: claim.messageId, domain: claim.domain }),
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.failCause(cause)
          : Effect.logError("delivery failed unexpectedly; the lease will expire and the work be retried", cause).pipe(
            Effect.as<ClaimReport>({
              messageId: claim.messageId,
              domain: claim.domain,
              route: Route.defer(claim.domain, Replies.internalError),
              results: [],
              bounced: [],
              dsn: false
            })
          )
      )
    ))

  return DeliveryWorker.of({ deliver, active: limits.active })
})
