/**
 * `redis-down-start`: the app is started while its Redis is not reachable (nothing listens on the port). The
 * scenario records what the app does — exits (with which code, after how long, printing what), keeps retrying, or
 * listens anyway — then starts Redis, starts the app again and sends the messages through.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Result } from "effect"
import { FaultsError } from "../FaultsError.ts"
import * as Mta from "../Mta.ts"
import * as PrivateRedis from "../PrivateRedis.ts"
import * as Scenario from "../Scenario.ts"
import * as Sinks from "../Sinks.ts"

/** What the app did without Redis, in one sentence. */
const describeStart = (started: Result.Result<Mta.App, { readonly message: string }>, millis: number): string => {
  const after = `${(millis / 1000).toFixed(1)} s`
  if (Result.isSuccess(started)) return `without Redis the app started and greeted after ${after}`
  const text = started.failure.message
  const code = /exited early \(code (\S+), signal (\S+)\)/.exec(text)
  const printed = text.split("--- last output ---")[1]?.trim().split("\n").filter((l) => l.trim() !== "").slice(-2).join(" / ")
  if (code !== null) return `without Redis the app exited with code ${code[1]} after ${after}, printing: "${printed ?? ""}"`
  return `without Redis the app neither exited nor greeted within ${after}: ${text.replace(/\s+/g, " ").slice(0, 200)}`
}

export const scenario: Scenario.Scenario = {
  name: "redis-down-start",
  summary: "start the app while Redis is unreachable: report what it does; then start Redis and the app, send N",
  bound: Duration.minutes(5),
  run: (context) =>
    Effect.gen(function*() {
      const run = Scenario.begin(context, "redis-down-start")
      const sink = yield* Sinks.nextHop(run.ledger)
      const redis = yield* PrivateRedis.make
      const { world: base } = yield* Scenario.world(context, "sqlite", {
        relayTo: { host: "127.0.0.1", port: sink.port },
        extra: Scenario.fastRetries
      })
      const world: Mta.World = { ...base, store: "redis", redisUrl: redis.url }
      if (yield* redis.accepting) return yield* new FaultsError({ message: `something listens on ${redis.url} already` })
      const tryStart = Date.now()
      const without = yield* Effect.result(Effect.scoped(Mta.spawn(context.bundle, world, "cartero (no redis)")))
      const outcome = describeStart(without, Date.now() - tryStart)
      context.note(outcome)
      yield* redis.start
      const app = yield* run.launch(world)
      return yield* run.conclude({
        store: "redis",
        summary: yield* (yield* run.send(world.port, context.messages)).done,
        queueOf: app,
        notes: () => [outcome, "started again once Redis was up"]
      })
    })
}
