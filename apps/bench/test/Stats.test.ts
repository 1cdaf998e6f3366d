import { assert, describe, it } from "@effect/vitest"
import * as Stats from "../src/Stats.ts"

describe("Stats.percentile (nearest rank)", () => {
  it("picks the smallest sample with at least p% of samples at or below it", () => {
    const s = Stats.sorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert.strictEqual(Stats.percentile(s, 50), 5)
    assert.strictEqual(Stats.percentile(s, 90), 9)
    assert.strictEqual(Stats.percentile(s, 99), 10)
    assert.strictEqual(Stats.percentile(s, 100), 10)
    assert.strictEqual(Stats.percentile(s, 10), 1)
    assert.strictEqual(Stats.percentile(s, 11), 2)
  })

  it("handles one sample, no samples, and rejects p outside (0, 100]", () => {
    assert.strictEqual(Stats.percentile([42], 1), 42)
    assert.strictEqual(Stats.percentile([42], 99), 42)
    assert.strictEqual(Stats.percentile([], 50), undefined)
    assert.throws(() => Stats.percentile([1], 0))
    assert.throws(() => Stats.percentile([1], 101))
  })

  it("is exact on 1000 samples: p99 is the 990th smallest", () => {
    const samples = Array.from({ length: 1000 }, (_, i) => 1000 - i) // descending: summarize must sort
    const l = Stats.summarize(samples)
    assert.deepStrictEqual(l, { count: 1000, p50: 500, p90: 900, p99: 990, max: 1000 })
  })

  it("sorts numerically, not as strings", () => {
    const l = Stats.summarize([10, 9, 100, 2])
    assert.strictEqual(l.p50, 9)
    assert.strictEqual(l.max, 100)
  })
})

describe("Stats rows", () => {
  const row: Stats.Row = {
    scenario: "accept",
    server: "cartero",
    store: "sqlite",
    concurrency: 10,
    messages: 1000,
    errors: 0,
    seconds: 2.5,
    msgsPerSec: 400,
    acceptP50Ms: 1.23456,
    acceptP90Ms: 2,
    acceptP99Ms: 3,
    e2eP50Ms: null,
    e2eP99Ms: null,
    peakRssMiB: 120.5,
    cpuMsPerMsg: 0.5,
    size: 4096,
    pipelining: "on",
    newConnection: false,
    messagesPerConnection: 100
  }

  it("formats a row aligned with the header, '-' for absent figures", () => {
    const line = Stats.formatRow(row)
    assert.strictEqual(line.length, Stats.header().length)
    assert.match(line, /^accept\s+cartero\s+sqlite\s+10\s+1000\s+0\s+2\.50\s+400\s+1\.23\s+2\.00\s+3\.00\s+-\s+-\s+120\.5\s+0\.500$/)
  })

  it("emits JSON with nulls and microsecond rounding", () => {
    const parsed: unknown = JSON.parse(Stats.toJson(row))
    assert.deepStrictEqual(parsed, { ...row, acceptP50Ms: 1.235 })
  })
})
