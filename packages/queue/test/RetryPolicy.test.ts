import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import { RetryPolicy } from "../src/index.ts"

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

  it.effect("as a Schedule on TestClock: retries at the policy's times, then fails with RetryExhausted", () =>
    Effect.gen(function*() {
      const policy = RetryPolicy.make(["1 minute", "5 minutes"], "20 minutes", 0)
      const times = yield* Ref.make<Array<number>>([])
      const tracked = Effect.gen(function*() {
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* Ref.update(times, (t) => [...t, now])
        return yield* Effect.fail("451 try later" as const)
      })
      const fiber = yield* Effect.forkChild(Effect.retry(tracked, RetryPolicy.schedule(policy)))
      yield* TestClock.adjust("1 hour")
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      // 0, +1m, +5m (6m), +5m (11m), +5m (16m), clipped to 20m, then give up.
      assert.deepStrictEqual(yield* Ref.get(times), [0, 1, 6, 11, 16, 20].map((m) => m * min))
      assert.strictEqual(typeof error === "object" && "_tag" in error ? error._tag : error, "RetryExhausted")
    }))

  it.effect("default schedule jitters within bounds under TestClock", () =>
    Effect.gen(function*() {
      const times = yield* Ref.make<Array<number>>([])
      const tracked = Effect.gen(function*() {
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        yield* Ref.update(times, (t) => [...t, now])
        return yield* Effect.fail("x" as const)
      })
      const fiber = yield* Effect.forkChild(Effect.retry(tracked, RetryPolicy.schedule(RetryPolicy.defaultPolicy)))
      yield* TestClock.adjust("6 days")
      yield* Fiber.join(fiber).pipe(Effect.flip)
      const t = yield* Ref.get(times)
      const gaps = t.slice(1).map((x, i) => x - (t[i] ?? 0))
      const base = [1, 5, 15, 30, 60, 120].map((m) => m * min)
      for (const [i, gap] of gaps.slice(0, 6).entries()) {
        const b = base[i] ?? 0
        assert.isTrue(gap >= 0.9 * b && gap <= 1.1 * b, `gap ${i}: ${gap}`)
      }
      assert.strictEqual(t[t.length - 1], 5 * 24 * hour)
    }))
})
