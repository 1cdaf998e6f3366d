import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect } from "effect"
import * as RetryPolicy from "../src/RetryPolicy.ts"

const min = 60_000
const hour = 60 * min

describe("RetryPolicy", () => {
  it("default: 1m, 5m, 15m, 30m, 1h, then every 2h", () => {
    const at = (attempts: number) => {
      const d = RetryPolicy.nextAttempt(RetryPolicy.defaultPolicy, { attempts, arrivedAt: 0, now: 0, random: 0.5 })
      return d._tag === "Retry" ? d.at : -1
    }
    assert.deepStrictEqual([1, 2, 3, 4, 5, 6, 7, 20].map(at), [min, 5 * min, 15 * min, 30 * min, hour, 2 * hour, 2 * hour, 2 * hour])
  })

  it("jitter stays within ±10 %", () => {
    for (const random of [0, 0.25, 0.75, 0.999999]) {
      const d = RetryPolicy.nextAttempt(RetryPolicy.defaultPolicy, { attempts: 6, arrivedAt: 0, now: 1000, random })
      assert.strictEqual(d._tag, "Retry")
      if (d._tag === "Retry") assert.isTrue(d.at - 1000 >= 0.9 * 2 * hour && d.at - 1000 <= 1.1 * 2 * hour)
    }
  })

  it("never schedules past the maximum age, and gives up at it", () => {
    const p = RetryPolicy.defaultPolicy
    const maxAge = Duration.toMillis(p.maxAge)
    const late = RetryPolicy.nextAttempt(p, { attempts: 30, arrivedAt: 0, now: maxAge - 1000, random: 0.5 })
    assert.deepStrictEqual(late, { _tag: "Retry", at: maxAge })
    const over = RetryPolicy.nextAttempt(p, { attempts: 31, arrivedAt: 0, now: maxAge })
    assert.deepStrictEqual(over, { _tag: "GiveUp", ageMillis: maxAge })
  })

  it("parses CARTERO_RETRY_SCHEDULE and CARTERO_MAX_QUEUE_AGE forms", () => {
    assert.deepStrictEqual(RetryPolicy.parseDelays("1m,5m,15m,30m,1h,2h")?.map(Duration.toMillis), [min, 5 * min, 15 * min, 30 * min, hour, 2 * hour])
    assert.deepStrictEqual(RetryPolicy.parseDelays(" 90s , 250ms,2d")?.map(Duration.toMillis), [90_000, 250, 2 * 24 * hour])
    assert.strictEqual(RetryPolicy.parseDuration("5d") && Duration.toMillis(RetryPolicy.parseDuration("5d") ?? Duration.zero), 5 * 24 * hour)
    for (const bad of ["", "1m,,2m", "abc", "0m", "1y", "-1m"]) assert.strictEqual(RetryPolicy.parseDelays(bad), undefined, bad)
  })

  it.effect("fromStrings builds a policy or fails with InvalidRetryPolicy", () =>
    Effect.gen(function*() {
      const p = yield* RetryPolicy.fromStrings("1m,2m", "1h")
      assert.deepStrictEqual(p.delays.map(Duration.toMillis), [min, 2 * min])
      assert.strictEqual(Duration.toMillis(p.maxAge), hour)
      const e = yield* Effect.flip(RetryPolicy.fromStrings("soon", "1h"))
      assert.strictEqual(e._tag, "InvalidRetryPolicy")
      assert.strictEqual((yield* Effect.flip(RetryPolicy.fromStrings("1m", "forever")))._tag, "InvalidRetryPolicy")
    }))

  it.effect("config reads the environment, with defaults", () =>
    Effect.gen(function*() {
      const fromEnv = (env: Record<string, string>) =>
        Effect.gen(function*() {
          return yield* RetryPolicy.config
        }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
      const custom = yield* fromEnv({ CARTERO_RETRY_SCHEDULE: "10s,1m", CARTERO_MAX_QUEUE_AGE: "2d" })
      assert.deepStrictEqual(custom.delays.map(Duration.toMillis), [10_000, min])
      assert.strictEqual(Duration.toMillis(custom.maxAge), 2 * 24 * hour)
      const defaults = yield* fromEnv({})
      assert.deepStrictEqual(defaults.delays.map(Duration.toMillis), RetryPolicy.defaultPolicy.delays.map(Duration.toMillis))
      const bad = yield* Effect.flip(fromEnv({ CARTERO_RETRY_SCHEDULE: "1m,oops" }))
      assert.strictEqual(bad._tag, "ConfigError")
    }))

  it("walked attempt by attempt: the policy's times, the last one clipped to the maximum age, then give up", () => {
    const policy = RetryPolicy.make(["1 minute", "5 minutes"], "20 minutes", 0)
    const times = [0]
    for (let attempts = 1; attempts < 100; attempts++) {
      const now = times[times.length - 1] ?? 0
      const d = RetryPolicy.nextAttempt(policy, { attempts, arrivedAt: 0, now })
      if (d._tag === "GiveUp") break
      times.push(d.at)
    }
    assert.deepStrictEqual(times, [0, 1, 6, 11, 16, 20].map((m) => m * min))
  })

  it("the default policy's jitter stays within ±10 %", () => {
    const base = [1, 5, 15, 30, 60, 120].map((m) => m * min)
    for (const random of [0, 0.25, 0.5, 0.999]) {
      base.forEach((b, i) => {
        const d = RetryPolicy.nextAttempt(RetryPolicy.defaultPolicy, { attempts: i + 1, arrivedAt: 0, now: 0, random })
        const gap = d._tag === "Retry" ? d.at : -1
        assert.isTrue(gap >= 0.9 * b && gap <= 1.1 * b, `attempt ${i + 1}, random ${random}: ${gap}`)
      })
    }
  })
})
