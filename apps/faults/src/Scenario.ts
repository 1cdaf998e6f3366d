/**
 * What a scenario is, and what every scenario shares.
 *
 * A scenario is a name, a one-line summary, a bound and a `run` that builds its world in a scope, makes its fault
 * and returns its row. The shared parts live here so that each scenario module is only its fault:
 *
 * - the {@link Context} (the built app, the message count, the store override, a note channel to stderr);
 * - the world: a free loopback port, a temporary data directory, for Redis a private `redis-server`
 *   ({@link world});
 * - a {@link Run}: the run's messages and ledger, `launch` (spawn the app and watch its log), `send` (the retrying
 *   clients) and `conclude` (wait until settled, then the row, with what the clients were told, what the app
 *   logged and where duplicates came from).
 *
 * @since 0.1.0
 */
import { ServerProcess } from "@cartero/bench"
import { type FakeDns, type SmtpSink, TempDir } from "@cartero/testing"
import { type Duration, Effect, type Scope } from "effect"
import * as AppLog from "./AppLog.ts"
import type { FaultsError } from "./FaultsError.ts"
import { Ledger } from "./Ledger.ts"
import * as Message from "./Message.ts"
import * as Mta from "./Mta.ts"
import * as PrivateRedis from "./PrivateRedis.ts"
import type * as Report from "./Report.ts"
import * as Settle from "./Settle.ts"
import * as Traffic from "./Traffic.ts"

export interface Context {
  /** The app, built for this run. */
  readonly bundle: Mta.Bundle
  /** Messages the clients send. */
  readonly messages: number
  /** The queue store, for scenarios where the store is not the subject; undefined: the scenario's default. */
  readonly store: Mta.Store | undefined
  /** A progress line on stderr (`# …`). */
  readonly note: (text: string) => void
}

/** Anything a scenario may fail with: a harness problem, not a result. */
export type Failure = FaultsError | ServerProcess.ServerError | SmtpSink.SmtpSinkError | FakeDns.FakeDnsError

export interface Scenario {
  readonly name: string
  /** One line for `--help` and the report. */
  readonly summary: string
  /** Builds its world in the scope, makes the fault, waits, and reports. */
  readonly run: (context: Context) => Effect.Effect<Report.Row, Failure, Scope.Scope>
  /** The whole scenario's bound (a safety net above its own settle bound). */
  readonly bound: Duration.Duration
}

export const sender = "faults@client.faults.invalid"
/** A remote recipient: relayed, queued, delivered to the scenario's next hop. */
export const remoteRecipient = "rcpt@faults.test"
/** A local recipient (`CARTERO_LOCAL_DOMAINS=localhost`): stored in its Maildir. */
export const localRecipient = "faults@localhost"
/** Message size, headers included. */
export const messageSize = 2048

/** Retries in seconds, not minutes, so that a deferral is retried within the scenario. */
export const fastRetries: Readonly<Record<string, string>> = { CARTERO_RETRY_SCHEDULE: "1s,2s" }

/**
 * How long a scenario waits for everything accepted to arrive after its fault: the delivery lease (5 min,
 * `@cartero/delivery` `DeliveryConfig.lease`, not a setting) plus a margin, because claims of a dead process and
 * deliveries whose outcome could not be recorded come back only when their lease expires.
 */
export const afterLeaseMillis = 5 * 60_000 + 90_000

/** A free loopback port. */
export const freePort = ServerProcess.freePort

/** A private Redis, started, stopped with the scope. */
export const startRedis = (context: Context): Effect.Effect<PrivateRedis.PrivateRedis, Failure, Scope.Scope> =>
  Effect.gen(function*() {
    const redis = yield* PrivateRedis.make
    yield* redis.start
    context.note(`private redis-server on ${redis.url} (${PrivateRedis.persistence})`)
    return redis
  })

/**
 * The app's world for `store`: a free port, a temporary data directory (or `dataDir`), and for Redis a private
 * Redis (returned, so the scenario can kill it).
 */
export const world = (
  context: Context,
  store: Mta.Store,
  o: Omit<Mta.World, "port" | "dataDir" | "store" | "redisUrl"> & { readonly dataDir?: string }
): Effect.Effect<{ readonly world: Mta.World; readonly redis: PrivateRedis.PrivateRedis | undefined }, Failure, Scope.Scope> =>
  Effect.gen(function*() {
    const redis = store === "redis" ? yield* startRedis(context) : undefined
    const world: Mta.World = {
      ...o,
      port: yield* freePort(),
      dataDir: o.dataDir ?? (yield* TempDir.make("cartero-faults-")),
      store,
      ...(redis === undefined ? {} : { redisUrl: redis.url })
    }
    return { world, redis }
  })

/** How a run ends: see {@link Run.conclude}. */
export interface Conclusion {
  readonly store: string
  /** The clients' summary. */
  readonly summary: Traffic.Summary
  /** The app whose queue must be empty before the end (absent: no queue, e.g. Maildir). */
  readonly queueOf?: Mta.App
  /** Re-reads the destination (Maildirs) while waiting. */
  readonly refresh?: Effect.Effect<void>
  /** The scenario's own notes, computed once the wait is over: how the fault was made, what the app did. */
  readonly notes: () => ReadonlyArray<string>
}

/** One scenario run: its messages, where they arrive, the apps it launched. */
export interface Run {
  readonly factory: Message.Factory
  readonly ledger: Ledger
  /** Spawns the app for `world` and watches its log for the notes. */
  readonly launch: (world: Mta.World, label?: string) => Effect.Effect<Mta.App, Failure, Scope.Scope>
  /** Starts the retrying clients against `port` (messages `firstSeq…`, bounded at 3 minutes). */
  readonly send: (port: number, messages: number, firstSeq?: number) => Effect.Effect<Traffic.Traffic, never, Scope.Scope>
  /** Waits until everything accepted arrived, the queue is empty and the destination quiet (or the bound); the row. */
  readonly conclude: (conclusion: Conclusion) => Effect.Effect<Report.Row>
}

/** Starts a run of `name`, its messages addressed `to`. */
export const begin = (context: Context, name: string, to = remoteRecipient): Run => {
  const startedAt = Date.now()
  const factory = Message.factory({ size: messageSize, from: sender, to })
  const ledger = new Ledger(factory.runId)
  const logs: Array<Effect.Effect<AppLog.Findings>> = []
  return {
    factory,
    ledger,
    launch: (w, label) =>
      Effect.gen(function*() {
        const app = yield* Mta.spawn(context.bundle, w, label)
        logs.push((yield* AppLog.watch(app)).stop)
        return app
      }),
    send: (port, messages, firstSeq = 0) =>
      Traffic.start({ host: "127.0.0.1", port, messages, firstSeq, factory, from: sender, to, deadline: Date.now() + 180_000 }),
    conclude: (c) =>
      Effect.gen(function*() {
        const settled = yield* Settle.settle({
          ledger,
          accepted: c.summary.accepted,
          ...(c.queueOf === undefined ? {} : { queueOf: c.queueOf }),
          ...(c.refresh === undefined ? {} : { refresh: c.refresh }),
          quiet: "2 seconds",
          deadline: Date.now() + afterLeaseMillis,
          note: context.note
        })
        const findings = AppLog.merge(yield* Effect.all(logs))
        return finish({
          scenario: name,
          store: c.store,
          startedAt,
          summary: c.summary,
          ledger,
          settled,
          notes: [...c.notes(), ...AppLog.notes(findings)]
        })
      })
  }
}

/** The client's summary, the ledger and the wait, as the scenario's row. */
export const finish = (o: {
  readonly scenario: string
  readonly store: string
  readonly startedAt: number
  readonly summary: Traffic.Summary
  readonly ledger: Ledger
  readonly settled: Settle.Settled
  /** The scenario's own notes first. */
  readonly notes: ReadonlyArray<string>
}): Report.Row => {
  const counts = o.ledger.counts()
  const withoutAck = o.ledger.ids().filter((id) => !o.summary.accepted.has(id)).length
  const notes = [...o.notes]
  if (o.summary.told.size > 0) notes.push(`clients told: ${Traffic.describeTold(o.summary.told)}`)
  const kinds = [
    ...(counts.outboundDuplicates > 0 ? [`${counts.outboundDuplicates} delivered twice from one queued copy (the at-least-once window)`] : []),
    ...(counts.inboundDuplicates > 0
      ? [`${counts.inboundDuplicates} queued twice (the client retried a transaction the app had kept: its 250 lost, or a 451 whose rollback failed)`]
      : [])
  ]
  if (kinds.length > 0) notes.push(`duplicates: ${kinds.join(", ")}`)
  if (o.summary.unanswered > 0) notes.push(`${o.summary.unanswered} ends of DATA got no reply`)
  if (withoutAck > 0) notes.push(`${withoutAck} delivered without the client seeing a 250`)
  if (o.summary.refused > 0) notes.push(`${o.summary.refused} refused for good (5yz)`)
  if (o.summary.unsettled > 0) notes.push(`${o.summary.unsettled} never accepted before the client's deadline`)
  if (counts.others > 0) notes.push(`${counts.others} other messages (bounces) arrived`)
  if (o.settled.inflightSeen > 0) notes.push(`waited for the 5 min lease of up to ${o.settled.inflightSeen} claimed recipients`)
  if (!o.settled.complete) {
    notes.push(
      `not settled within the bound: ${o.settled.missing} accepted missing; ` +
        Settle.describeQueue(o.settled.queue)
    )
  }
  return {
    scenario: o.scenario,
    store: o.store,
    sent: o.summary.sent,
    accepted: o.summary.accepted.size,
    retried: o.summary.retried,
    delivered: counts.delivered,
    duplicated: counts.duplicated,
    lost: o.settled.missing,
    seconds: Math.round((Date.now() - o.startedAt) / 100) / 10,
    notes,
    details: {
      inboundDuplicates: counts.inboundDuplicates,
      outboundDuplicates: counts.outboundDuplicates,
      deliveredWithoutAck: withoutAck,
      refused: o.summary.refused,
      unsettled: o.summary.unsettled,
      unanswered: o.summary.unanswered,
      others: counts.others,
      settled: o.settled.complete,
      settleSeconds: Math.round(o.settled.millis / 100) / 10,
      inflightSeen: o.settled.inflightSeen
    }
  }
}

/** Real-time pause inside a scenario. */
export const pause = (millis: number): Effect.Effect<void> => Effect.sleep(millis)

/** Waits (bounded, 60 s) until at least `n` distinct messages arrived. */
export const awaitDelivered = (ledger: Ledger, n: number): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    for (let waited = 0; waited < 60_000 && ledger.delivered < n; waited += 20) yield* pause(20)
    return ledger.delivered >= n
  })
