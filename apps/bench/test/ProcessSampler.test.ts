import { assert, describe, it } from "@effect/vitest"
import { existsSync } from "node:fs"
import * as ProcessSampler from "../src/ProcessSampler.ts"

describe.runIf(existsSync("/proc/self/stat"))("ProcessSampler (Linux /proc)", () => {
  it("measures this process's CPU time and memory over a window", async () => {
    const sampler = ProcessSampler.start(process.pid, { intervalMs: 20, followChildren: false })
    const until = Date.now() + 300
    let x = 0
    while (Date.now() < until) x += Math.sqrt(x + 1) // burn CPU for 300 ms
    await new Promise((r) => setTimeout(r, 50))
    const usage = sampler.stop()
    assert.isAbove(x, 0)
    assert.isAbove(usage.cpuMs, 100)
    assert.isBelow(usage.cpuMs, 5000)
    assert.isAbove(usage.peakRssBytes, 10 * 1024 * 1024)
    assert.isAbove(usage.samples, 1)
  })

  it("finds a process tree rooted at a pid", () => {
    assert.include(ProcessSampler.processTree(process.pid), process.pid)
    assert.isTrue(ProcessSampler.exists(process.pid))
    assert.isFalse(ProcessSampler.exists(4_194_303))
  })
})
