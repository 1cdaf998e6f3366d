import { assert, describe, it } from "@effect/vitest"
import { SlidingWindow } from "../src/index.ts"

const minute: SlidingWindow.Window = { limit: 10, windowMillis: 60_000 }

describe("SlidingWindow", () => {
  it("counts hits up to the limit, then refuses without counting the refusal", () => {
    let state: SlidingWindow.State | undefined
    for (let i = 1; i <= 10; i++) {
      const r = SlidingWindow.hit(state, 1_000, minute, 1)
      assert.isTrue(r.outcome.allowed)
      assert.strictEqual(r.outcome.count, i)
      state = r.state
    }
    const refused = SlidingWindow.hit(state, 1_000, minute, 1)
    assert.isFalse(refused.outcome.allowed)
    assert.deepStrictEqual(refused.state, state)
    // All ten hits are in this bucket: the next bucket starts at 60 s, and then they weigh (1 − h) with h ≥ 0.1.
    assert.strictEqual(refused.outcome.retryAfterMillis, 59_000 + 6_000)
  })

  it("weights the previous bucket by its overlap with the window ending now", () => {
    const state: SlidingWindow.State = { bucket: 1, current: 2, previous: 10 }
    // 25 % into bucket 1: 10 × 0.75 + 2 = 9.5
    assert.strictEqual(SlidingWindow.estimate(state, 75_000, 60_000), 9.5)
    const r = SlidingWindow.hit(state, 75_000, minute, 1)
    assert.isFalse(r.outcome.allowed)
    // Fits once 10 × (1 − g) + 2 + 1 ≤ 10, g ≥ 0.3: at 60 s + 18 s, 3 s from now.
    assert.strictEqual(r.outcome.retryAfterMillis, 3_000)
    const later = SlidingWindow.hit(state, 78_000, minute, 1)
    assert.isTrue(later.outcome.allowed)
  })

  it("forgets buckets older than the previous one", () => {
    const old: SlidingWindow.State = { bucket: 1, current: 10, previous: 10 }
    assert.deepStrictEqual(SlidingWindow.advance(old, 180_000, 60_000), { bucket: 3, current: 0, previous: 0 })
    assert.deepStrictEqual(SlidingWindow.advance(old, 120_000, 60_000), { bucket: 2, current: 0, previous: 10 })
  })

  it("a cost above the limit never fits", () => {
    const r = SlidingWindow.hit(undefined, 0, minute, 11)
    assert.isFalse(r.outcome.allowed)
    assert.strictEqual(r.outcome.retryAfterMillis, Infinity)
  })

  it("the retry hint is right: a hit at now + hint fits, a hit a little earlier does not", () => {
    for (const [current, previous, at] of [[3, 9, 61_000], [10, 0, 90_000], [7, 7, 110_000], [0, 10, 60_001]] as const) {
      const state: SlidingWindow.State = { bucket: 1, current, previous }
      const r = SlidingWindow.hit(state, at, minute, 1)
      if (r.outcome.allowed) continue
      const wait = r.outcome.retryAfterMillis
      assert.isTrue(SlidingWindow.hit(state, at + wait, minute, 1).outcome.allowed, `fits after ${wait} ms (${current}, ${previous}, ${at})`)
      assert.isFalse(SlidingWindow.hit(state, at + wait - 1_000, minute, 1).outcome.allowed, `not 1 s before (${current}, ${previous}, ${at})`)
    }
  })
})
