import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect } from "effect"
import * as DestinationLimits from "../src/DestinationLimits.ts"
import { body, envelope, eventually, setup } from "./support/worker.ts"

/** Counts concurrent transactions at the sink: DATA starts one, the end of the message ends it. */
const concurrencyProbe = () => {
  let now = 0
  let max = 0
  return {
    sink: {
      delay: "40 millis" as const,
      data: () => {
        now++
        max = Math.max(max, now)
        return undefined
      },
      message: () => {
        now--
        return undefined
      }
    },
    max: () => max
  }
}

const sendMany = (n: number, destinationConcurrency: number) =>
  Effect.gen(function*() {
    const probe = concurrencyProbe()
    const { queue, sink } = yield* setup({ sink: probe.sink, settings: { workers: 4, destinationConcurrency } })
    for (let i = 0; i < n; i++) {
      yield* queue.enqueue({ envelope: envelope("sender@origin.test", [`r${i}@dest.test`]), body: body() })
    }
    yield* sink.awaitMessages(n, "15 seconds")
    return probe.max()
  }).pipe(Effect.scoped)

describe("DestinationLimits", () => {
  it.live("destination concurrency 1: the sink never sees two transactions at once (4 workers, 4 messages)", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* sendMany(4, 1), 1)
      // The probe does see parallelism when it is allowed.
      assert.isAbove(yield* sendMany(4, 4), 1)
    }))

  it.live("global limit and per-destination limit, rate delay spaces starts", () =>
    Effect.gen(function*() {
      const limits = yield* DestinationLimits.make({ destinationConcurrency: 2, maxConnections: 3, destinationRateDelay: Duration.zero })
      let running = 0
      let max = 0
      const perDest = new Map<string, number>()
      let maxPerDest = 0
      const job = (d: string) =>
        limits.run(d, Effect.gen(function*() {
          running++
          perDest.set(d, (perDest.get(d) ?? 0) + 1)
          max = Math.max(max, running)
          maxPerDest = Math.max(maxPerDest, perDest.get(d) ?? 0)
          yield* Effect.sleep("20 millis")
          running--
          perDest.set(d, (perDest.get(d) ?? 0) - 1)
        }))
      yield* Effect.forEach(["a", "a", "a", "a", "b", "b", "c", "c"], job, { concurrency: "unbounded", discard: true })
      assert.strictEqual(max, 3)
      assert.strictEqual(maxPerDest, 2)
      assert.strictEqual((yield* limits.active).total, 0)

      const paced = yield* DestinationLimits.make({ destinationConcurrency: 10, maxConnections: 10, destinationRateDelay: Duration.millis(50) })
      const starts: Array<number> = []
      yield* Effect.forEach([1, 2, 3], () => paced.run("a", Effect.sync(() => starts.push(Date.now()))), { concurrency: "unbounded", discard: true })
      const sorted = starts.sort((x, y) => x - y)
      assert.isAtLeast((sorted[2] ?? 0) - (sorted[0] ?? 0), 90)
    }))

  it.live("shutdown: the layer's scope closing lets the in-flight delivery finish", () =>
    Effect.gen(function*() {
      let finished = 0
      yield* Effect.gen(function*() {
        const { queue, sink } = yield* setup({ sink: { delay: "100 millis", message: () => (finished++, undefined) } })
        yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
        yield* eventually(sink.connections.pipe(Effect.map((n) => (n > 0 ? n : undefined))))
      }).pipe(Effect.scoped)
      assert.strictEqual(finished, 1)
    }))
})
