/**
 * One suite, three backends: counters and records behave the same on memory, Redis and SQLite (SQLite's counters
 * are the memory ones). Time is TestClock's.
 */
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { PolicyStore } from "../src/index.ts"
import { redisLayer } from "./helpers.ts"

const sqliteLayer = Layer.unwrap(Effect.map(TempDir.make("cartero-policy-"), (dir) => PolicyStore.PolicyStore.layerSqlite({ filename: `${dir}/policy.sqlite` })))

const backends: ReadonlyArray<readonly [string, () => Layer.Layer<PolicyStore.PolicyStore, unknown>]> = [
  ["memory", () => PolicyStore.PolicyStore.layerMemory()],
  ["redis", () => redisLayer()],
  ["sqlite", () => sqliteLayer]
]

const window = { limit: 3, windowMillis: 60_000 }

for (const [name, layer] of backends) {
  describe(`PolicyStore on ${name}`, () => {
    it.effect("counters: allow up to the limit, refuse with a retry hint, allow again once the window slid", () =>
      Effect.gen(function*() {
        const store = yield* PolicyStore.PolicyStore
        const counters = store.counters("test")
        yield* TestClock.setTime(1_000_000_000_000)
        for (let i = 0; i < 3; i++) assert.isTrue((yield* counters.hit("client-a", window)).allowed)
        const refused = yield* counters.hit("client-a", window)
        assert.isFalse(refused.allowed)
        assert.isAbove(refused.retryAfterMillis, 0)
        assert.isAtMost(refused.retryAfterMillis, 120_000)
        // Another key is not affected.
        assert.isTrue((yield* counters.hit("client-b", window)).allowed)
        yield* TestClock.adjust(refused.retryAfterMillis)
        assert.isTrue((yield* counters.hit("client-a", window)).allowed)
        // A cost counts that many units.
        yield* TestClock.adjust(240_000)
        assert.isTrue((yield* counters.hit("client-a", window, 3)).allowed)
        assert.isFalse((yield* counters.hit("client-a", window, 1)).allowed)
      }).pipe(Effect.provide(layer())))

    it.effect("records: set, get, expire on the clock, remove; namespaces are apart", () =>
      Effect.gen(function*() {
        const store = yield* PolicyStore.PolicyStore
        const greylist = store.records("greylist")
        const other = store.records("other")
        yield* TestClock.setTime(1_000_000_000_000)
        yield* greylist.set("k", "v1", 300_000)
        assert.deepStrictEqual(yield* greylist.get("k"), Option.some("v1"))
        assert.deepStrictEqual(yield* other.get("k"), Option.none())
        yield* greylist.set("k", "v2|with bar", 300_000)
        assert.deepStrictEqual(yield* greylist.get("k"), Option.some("v2|with bar"))
        yield* TestClock.adjust(299_999)
        assert.deepStrictEqual(yield* greylist.get("k"), Option.some("v2|with bar"))
        yield* TestClock.adjust(1)
        assert.deepStrictEqual(yield* greylist.get("k"), Option.none())
        yield* greylist.set("gone", "x", 1_000)
        yield* greylist.remove("gone")
        assert.deepStrictEqual(yield* greylist.get("gone"), Option.none())
        assert.strictEqual(store.backend, name)
      }).pipe(Effect.provide(layer())))
  })
}

describe("PolicyStore namespaces", () => {
  it.effect("refuses a namespace that is not a short name", () =>
    Effect.gen(function*() {
      const store = yield* PolicyStore.PolicyStore
      assert.throws(() => store.records("Bad Name"), /invalid policy store namespace/)
    }).pipe(Effect.provide(PolicyStore.PolicyStore.layerMemory())))
})
