// `pnpm --filter @cartero/bench metrics-cost`: what recording one metric costs, in isolation, with the same calls the
// server and the runner make per command, hook and message (`updateUnsafe` on series built once, and
// `performance.now()` per hook). Multiplied by the updates a message makes end to end (the scrape of an e2e run
// counts them: docs/benchmarks.md, "Metrics overhead"), it bounds what recording costs per message without the noise
// of a whole-server run, which on this shared machine moves by more than the 5 % being measured.
import { Effect, Metric } from "effect"

const n = 2_000_000
const context = Effect.runSync(Effect.context<never>())
const counter = Metric.counter("bench_counter_total", { attributes: { verb: "RCPT" } })
const histogram = Metric.histogram("bench_latency_ms", {
  boundaries: Metric.exponentialBoundaries({ start: 0.05, factor: 4, count: 10 }),
  attributes: { phase: "rcptTo", plugin: "bench" }
})

const time = (label: string, body: (i: number) => void): number => {
  for (let i = 0; i < n / 10; i++) body(i) // warm-up: JIT
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) body(i)
  const ns = Number(process.hrtime.bigint() - start) / n
  process.stdout.write(`${label.padEnd(34)} ${ns.toFixed(1).padStart(7)} ns\n`)
  return ns
}

let sink = 0
const c = time("counter.updateUnsafe(1)", () => counter.updateUnsafe(1, context))
const h = time("histogram.updateUnsafe(ms)", (i) => histogram.updateUnsafe((i % 1000) / 10, context))
const p = time("performance.now()", () => {
  sink += performance.now()
})
// A hook call in a deciding phase: one clock read, the latency and the verdict (PluginMetrics.record).
process.stdout.write(`${"one hook call (now + 2 updates)".padEnd(34)} ${(p + h + c).toFixed(1).padStart(7)} ns\n`)
if (sink === 0) process.stdout.write("\n")
