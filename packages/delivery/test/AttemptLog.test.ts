/**
 * The `delivery attempt` line (docs/operations.md, "Logs"): one per recipient, the same keys every time, `relay`
 * as `host[address]:port` or `none` when no server was tried, `status` after the disposition.
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpSink } from "@cartero/testing"
import { Effect } from "effect"
import * as RetryPolicy from "../src/RetryPolicy.ts"
import { body, envelope, eventually, type LogLine, settled, setup } from "./support/worker.ts"

const attemptKeys = ["worker", "queueId", "domain", "txn", "from", "to", "relay", "delay", "duration", "attempts", "status", "reply"]

const attempts = (logs: ReadonlyArray<LogLine>, queueId: string) =>
  logs.filter((l) => l.message === "delivery attempt" && l.annotations["queueId"] === queueId).map((l) => l.annotations)

describe("delivery attempt lines", () => {
  it.live("a null MX: no server tried, relay=none, bounced with the route's reply", () =>
    Effect.gen(function*() {
      const logs: Array<LogLine> = []
      const { queue } = yield* setup({ zones: { "nullmx.test": { MX: [{ priority: 0, exchange: "." }] } }, logs })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["x@nullmx.test"]), body: body(), traceId: "txn-1" })
      yield* settled(queue, id)
      const [line] = yield* eventually(Effect.sync(() => attempts(logs, id).length > 0 ? attempts(logs, id) : undefined))
      assert.deepStrictEqual(Object.keys(line ?? {}), attemptKeys)
      assert.deepInclude(line, {
        txn: "txn-1",
        from: "<sender@origin.test>",
        to: "<x@nullmx.test>",
        relay: "none",
        attempts: 1,
        status: "bounced",
        reply: "550 5.1.10 nullmx.test does not accept mail (null MX)"
      })
    }).pipe(Effect.scoped))

  it.live("a temporary reply once the message is too old: bounced, with that reply; attempts counts", () =>
    Effect.gen(function*() {
      const logs: Array<LogLine> = []
      const { queue } = yield* setup({
        // Give up once the message is 1.2 s old: attempts at about 0, 0.5 and 1 s are deferred, the next bounced. The
        // margins are wide because a loaded CI machine can start the first attempt hundreds of milliseconds late.
        retry: RetryPolicy.make(["500 millis"], "1200 millis", 0),
        sink: { rcptTo: () => SmtpSink.reply(451, "4.2.1 busy") },
        logs
      })
      const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      yield* settled(queue, id)
      const lines = yield* eventually(Effect.sync(() => {
        const found = attempts(logs, id)
        return found.some((l) => l["status"] === "bounced") ? found : undefined
      }))
      assert.deepStrictEqual(lines.map((l) => [l["attempts"], l["status"], l["reply"]]).slice(-1), [[lines.length, "bounced", "451 4.2.1 busy"]])
      for (const line of lines) {
        assert.deepStrictEqual(Object.keys(line), attemptKeys)
        assert.match(String(line["relay"]), /^mx1\.dest\.test\[127\.0\.0\.1\]:\d+$/)
      }
      assert.isTrue(lines.slice(0, -1).every((l) => l["status"] === "deferred"))
      assert.isAtLeast(lines.length, 2)
    }).pipe(Effect.scoped))
})
