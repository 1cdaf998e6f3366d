import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { TestClock } from "effect/testing"
import { MemoryBackend } from "../src/index.ts"

describe("MemoryBackend", () => {
  it.effect("a flood of new keys (a hostile peer's addresses) never holds more than maxKeys", () =>
    Effect.gen(function*() {
      const counters = MemoryBackend.counters({ maxKeys: 100 })
      const records = MemoryBackend.records({ maxKeys: 100 })
      for (let i = 0; i < 10_000; i++) {
        yield* counters.hit(`client-${i}`, { limit: 5, windowMillis: 60_000 })
        yield* records.set(`triplet-${i}`, "x", 60_000)
      }
      assert.strictEqual(counters.keys(), 100)
      assert.strictEqual(records.keys(), 100)
    }))

  it.effect("evicts the least recently used key: one that keeps coming back is kept", () =>
    Effect.gen(function*() {
      const counters = MemoryBackend.counters({ maxKeys: 3 })
      const w = { limit: 1, windowMillis: 60_000 }
      assert.isTrue((yield* counters.hit("busy", w)).allowed)
      for (const k of ["a", "b", "c", "d"]) {
        yield* counters.hit(k, w)
        assert.isFalse((yield* counters.hit("busy", w)).allowed, `busy still limited after ${k}`)
      }
    }))

  it.effect("expired records read as absent and are dropped", () =>
    Effect.gen(function*() {
      const records = MemoryBackend.records()
      yield* records.set("k", "v", 1_000)
      yield* TestClock.adjust(1_000)
      assert.strictEqual((yield* records.get("k"))._tag, "None")
      assert.strictEqual(records.keys(), 0)
    }))
})
