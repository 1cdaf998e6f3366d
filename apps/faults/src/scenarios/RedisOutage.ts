/**
 * Redis going away while the app accepts and delivers (Redis store, private `redis-server` with `appendonly yes`,
 * `appendfsync everysec`):
 *
 * - `redis-restart`: Redis is killed with SIGKILL (a crash) and restarted on the same directory a second later:
 *   the AOF is replayed.
 * - `redis-down-mid`: Redis is stopped (SIGTERM) for a few seconds, then started again.
 *
 * Expected: clients get `451 4.3.0` while Redis is away and retry; nothing acknowledged is lost (on a Redis
 * *process* crash the AOF has every acknowledged write: docs/operations.md). Deliveries whose outcome could not be
 * recorded while Redis was away wait for their 5-minute lease and are delivered again (outbound duplicates).
 *
 * @since 0.1.0
 */
import { Duration, Effect } from "effect"
import { FaultsError } from "../FaultsError.ts"
import * as Mta from "../Mta.ts"
import * as Scenario from "../Scenario.ts"
import * as Sinks from "../Sinks.ts"

interface Outage {
  readonly name: string
  readonly summary: string
  readonly signal: "SIGKILL" | "SIGTERM"
  /** How long Redis stays away. */
  readonly downMillis: number
}

const make = (outage: Outage): Scenario.Scenario => ({
  name: outage.name,
  summary: outage.summary,
  bound: Duration.minutes(10),
  run: (context) =>
    Effect.gen(function*() {
      const run = Scenario.begin(context, outage.name)
      const sink = yield* Sinks.nextHop(run.ledger)
      const { redis, world } = yield* Scenario.world(context, "redis", {
        relayTo: { host: "127.0.0.1", port: sink.port },
        extra: Scenario.fastRetries
      })
      if (redis === undefined) return yield* new FaultsError({ message: "no private redis" })
      const app = yield* run.launch(world)
      const traffic = yield* run.send(world.port, context.messages)
      yield* traffic.waitAccepted(Math.max(1, Math.floor(context.messages / 3)), "60 seconds")
      const acceptedBefore = traffic.acceptedCount()
      const stopping = Date.now()
      yield* redis.stop(outage.signal)
      const stopMillis = Date.now() - stopping
      const acceptedAtGone = traffic.acceptedCount()
      context.note(`redis ${outage.signal} after ${acceptedBefore} accepted, ${run.ledger.delivered} delivered; gone after ${stopMillis} ms`)
      yield* Scenario.pause(outage.downMillis)
      const acceptedWhileDown = traffic.acceptedCount() - acceptedAtGone
      yield* redis.start
      context.note("redis back")
      return yield* run.conclude({
        store: "redis",
        summary: yield* traffic.done,
        queueOf: app,
        notes: () => [
          `redis ${outage.signal === "SIGKILL" ? "killed (SIGKILL)" : "stopped (SIGTERM)"} after ${acceptedBefore} accepted ` +
          `(its pid gone ${stopMillis} ms later, ${acceptedAtGone - acceptedBefore} more accepted meanwhile), down ${(outage.downMillis / 1000).toFixed(0)} s, ` +
          `restarted on the same AOF; ${acceptedWhileDown} accepted while it was down`,
          Mta.alive(app) ? "the app kept running" : "the app exited"
        ]
      })
    })
})

export const restart = make({
  name: "redis-restart",
  summary: "SIGKILL redis-server while the app accepts and delivers; restart it on the same AOF a second later",
  signal: "SIGKILL",
  downMillis: 1_000
})

export const downMid = make({
  name: "redis-down-mid",
  summary: "stop redis-server for 5 s mid-traffic, then start it again: 451 meanwhile, nothing lost",
  signal: "SIGTERM",
  downMillis: 5_000
})
