import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as http from "node:http"
import * as Cli from "../src/Cli.ts"
import * as MetricsScraper from "../src/MetricsScraper.ts"

describe("--scrape-metrics", () => {
  it("parses seconds, only for accept or e2e against a spawned Cartero", () => {
    const parsed = Cli.parse(["e2e", "--scrape-metrics", "1"])
    assert.strictEqual(Result.isSuccess(parsed) ? parsed.success.scrapeMetricsSeconds : undefined, 1)
    const plain = Cli.parse(["e2e"])
    assert.isTrue(Result.isSuccess(plain) && plain.success.scrapeMetricsSeconds === undefined)
    const refused = [["e2e", "--scrape-metrics", "0"], ["e2e", "--scrape-metrics", "x"], ["wire", "--scrape-metrics", "1"], [
      "accept",
      "--target",
      "127.0.0.1:25",
      "--scrape-metrics",
      "1"
    ]]
    for (const argv of refused) assert.isTrue(Result.isFailure(Cli.parse(argv)), argv.join(" "))
  })

  it("updates counts counter increments and histogram observations between two scrapes, not gauges or buckets", () => {
    const first = [
      "# TYPE cartero_smtp_commands_total counter",
      "cartero_smtp_commands_total{verb=\"RCPT\"} 10",
      "cartero_smtp_connections_open 3",
      "cartero_plugin_hook_ms_bucket{le=\"0.05\"} 4",
      "cartero_plugin_hook_ms_count 4"
    ].join("\n")
    const last = [
      "cartero_smtp_commands_total{verb=\"RCPT\"} 25",
      "cartero_smtp_commands_total{verb=\"MAIL\"} 2",
      "cartero_smtp_connections_open 9",
      "cartero_plugin_hook_ms_bucket{le=\"0.05\"} 40",
      "cartero_plugin_hook_ms_count 10"
    ].join("\n")
    assert.strictEqual(MetricsScraper.updates(first, last), 15 + 2 + 6)
  })

  it("sample reads one series of a Prometheus text", () => {
    const text = "# TYPE a counter\na 1\ncartero_smtp_commands_total{verb=\"RCPT\"} 42\nb 2"
    assert.strictEqual(MetricsScraper.sample(text, "cartero_smtp_commands_total{verb=\"RCPT\"}"), 42)
    assert.strictEqual(MetricsScraper.sample(text, "b"), 2)
    assert.isUndefined(MetricsScraper.sample(text, "c"))
  })

  it.live("scrapes a real HTTP endpoint on its interval and reports how the counters moved", () =>
    Effect.gen(function*() {
      let served = 0
      const server = yield* Effect.acquireRelease(
        Effect.callback<http.Server>((resume) => {
          const s = http.createServer((_req, res) => {
            served++
            res.end(`cartero_smtp_messages_accepted_total ${served * 10}\ncartero_delivery_delivered_total 0\n`)
          })
          s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
        }),
        (s) => Effect.callback<void>((resume) => void s.close(() => resume(Effect.void)))
      )
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      const scraper = MetricsScraper.start(`http://127.0.0.1:${port}/metrics`, 20)
      // Real requests on a real interval: wait until a few were answered (bounded).
      yield* Effect.sleep("20 millis").pipe(Effect.repeat({ until: () => served >= 3 }), Effect.timeout("5 seconds"))
      const summary = scraper.stop()
      // The request in flight when it stopped is aborted: at most one failure.
      assert.isAtLeast(summary.scrapes, 2)
      assert.isAtMost(summary.failed, 1)
      const moved = new Map(summary.moved)
      const accepted = moved.get("cartero_smtp_messages_accepted_total") ?? 0
      assert.isTrue(accepted >= 10 && accepted % 10 === 0, String(accepted))
      assert.strictEqual(moved.get("cartero_delivery_delivered_total"), 0)
      assert.match(MetricsScraper.describe(summary, 1), /^metrics: \d+ scrapes every 1 s .*moved: cartero_smtp_messages_accepted_total \+\d+/)
    }).pipe(Effect.scoped))
})
