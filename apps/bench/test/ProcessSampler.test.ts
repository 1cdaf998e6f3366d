import { assert, describe, it } from "@effect/vitest"
import { existsSync } from "node:fs"
import * as ProcessSampler from "../src/ProcessSampler.ts"

describe.runIf(existsSync("/proc/self/stat"))("ProcessSampler (Linux /proc)", () => {
  it("measures this process's CPU time and memory over a window", async () => {
    const sampler = ProcessSampler.start(process.pid, { intervalMs: 20, followChildren: false })
    // Burn 300 ms of this process's CPU time (not wall time: on a loaded machine 300 ms of wall time can be far
    // less CPU), within 20 s of wall time at most.
    const start = process.cpuUsage()
    const deadline = Date.now() + 20_000
    let x = 0
    const burnedMs = () => { const u = process.cpuUsage(start); return (u.user + u.system) / 1000 }
    while (burnedMs() < 300 && Date.now() < deadline) for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1)
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
