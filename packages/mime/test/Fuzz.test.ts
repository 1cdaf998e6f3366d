/**
 * The fuzz driver (`pnpm --filter @cartero/mime fuzz`, see fuzz/) on a few messages, so that it cannot rot: the real
 * checks on 50 mutated corpus messages in worker threads, inputs reproducible by seed, and the watchdog and the
 * exception report tried with workers that hang or throw.
 */
import { describe, expect, it } from "vitest"
import * as Fuzz from "../fuzz/driver.ts"
import { loadCorpus, mutations, sample } from "../fuzz/mutate.ts"

const corpus = loadCorpus()

describe("fuzz driver", () => {
  it("checks 50 mutated messages with every reader: no exception, no hang", async () => {
    // The limit is looser than the command line's 1 s: the whole test suite shares this machine meanwhile.
    const report = await Fuzz.run(corpus, { count: 50, seconds: 120, seed: 12, limitMs: 5000, workers: 2 })
    expect(report.outcomes).toHaveLength(50)
    expect(Fuzz.exceptions(report).map((o) => `#${o.index} ${o.label}: ${o.error ?? ""}`)).toEqual([])
    expect(Fuzz.timeouts(report).map((o) => `#${o.index} ${o.label}`)).toEqual([])
    expect(Fuzz.slow(report).map((o) => `#${o.index} ${o.label}: ${o.slowestStep} ${o.slowestMs} ms`)).toEqual([])
    expect(Fuzz.failed(report)).toBe(false)
    // Every mutation was tried.
    for (const m of mutations) expect(report.outcomes.some((o) => o.label.includes(m.name)), m.name).toBe(true)
    expect(Fuzz.format(report)).toContain("50 of 50 messages checked")
  }, 120_000)

  it("makes the same message from the same seed and index, another from another seed", () => {
    for (const index of [0, 7, 31]) {
      const a = sample(corpus, 5, index)
      const b = sample(corpus, 5, index)
      expect(b.label).toBe(a.label)
      expect(Buffer.compare(a.bytes, b.bytes)).toBe(0)
    }
    const labels = (seed: number) => Array.from({ length: 10 }, (_, i) => sample(corpus, seed, i).label)
    expect(labels(6)).not.toEqual(labels(5))
  })

  it("terminates a worker that hangs, reports the message and goes on with a new worker", async () => {
    const entry = new URL("./support/hangingWorker.ts", import.meta.url)
    const report = await Fuzz.run(corpus, { count: 3, seconds: 60, seed: 1, limitMs: 100, watchdogMs: 300, workers: 1, entry })
    expect(report.outcomes.map((o) => [o.index, o.timedOut])).toEqual([[0, true], [1, true], [2, true]])
    expect(Fuzz.failed(report)).toBe(true)
    expect(Fuzz.format(report)).toContain("hangs (no answer within 300 ms, worker terminated): 3")
  }, 60_000)

  it("reports an exception with the step that threw, and checks only the messages asked for", async () => {
    const entry = new URL("./support/throwingWorker.ts", import.meta.url)
    const report = await Fuzz.run(corpus, { count: 2000, only: [4, 9], seconds: 60, seed: 1, limitMs: 1000, workers: 2, entry })
    expect(report.outcomes.map((o) => o.index)).toEqual([4, 9])
    for (const o of report.outcomes) expect(o.error).toMatch(/^throws: RangeError: boom at \d+ bytes/)
    expect(Fuzz.exceptions(report)).toHaveLength(2)
    expect(Fuzz.format(report)).toContain("exceptions: 2")
  }, 60_000)
})
