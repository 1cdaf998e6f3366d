import { assert, describe, it } from "@effect/vitest"
import { Address } from "@cartero/smtp"
import { SmtpSink } from "@cartero/testing"
import { Duration, Effect } from "effect"
import * as DelayNotice from "../src/DelayNotice.ts"
import * as RetryPolicy from "../src/RetryPolicy.ts"
import * as OutboundPipeline from "../src/OutboundPipeline.ts"
import { body, dsns, envelope, eventually, setup } from "./support/worker.ts"

describe("DelayNotice", () => {
  it("the notice goes with the first attempt scheduled at or after the threshold", () => {
    const policy = RetryPolicy.make(["1 minute", "5 minutes", "15 minutes", "30 minutes", "1 hour", "2 hours"], "5 days", 0.1)
    // attempts at 0, 1m, 6m, 21m, 51m, 1h51m, 3h51m, 5h51m: 4h → attempt 8 (5h51m)
    assert.strictEqual(DelayNotice.noticeAttempt(policy, Duration.hours(4)), 8)
    assert.strictEqual(DelayNotice.noticeAttempt(policy, Duration.minutes(6)), 3)
    assert.strictEqual(DelayNotice.noticeAttempt(policy, Duration.millis(1)), 2)
  })

  it("recipients ask for delay notices unless NOTIFY leaves DELAY out", () => {
    const address = Address.make("bob", "dest.test")
    assert.isTrue(DelayNotice.wantsDelayNotice({ address }))
    assert.isTrue(DelayNotice.wantsDelayNotice({ address, notify: ["FAILURE", "DELAY"] }))
    assert.isFalse(DelayNotice.wantsDelayNotice({ address, notify: ["FAILURE"] }))
    assert.isFalse(DelayNotice.wantsDelayNotice({ address, notify: ["NEVER"] }))
  })

  it.live("a recipient that keeps getting 451: one delay notice to the sender, then none", () =>
    Effect.gen(function*() {
      let attempts = 0
      const { queue, sink } = yield* setup({
        retry: RetryPolicy.make(["100 millis"], "1 hour", 0),
        pipeline: OutboundPipeline.OutboundPipeline.layer([DelayNotice.plugin({ after: "250 millis", hostname: "cartero.test", retry: RetryPolicy.make(["100 millis"], "1 hour", 0) })]),
        sink: {
          rcptTo: (to) => (to.startsWith("bob@") ? (attempts++, SmtpSink.reply(451, "4.2.1 mailbox busy")) : undefined)
        }
      })
      yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
      // attempts at ~0, 100, 200, 300 ms: the 4th deferral sends the notice; wait for two more attempts after it
      yield* eventually(Effect.sync(() => (attempts >= 6 ? true : undefined)))
      const notices = yield* dsns(sink)
      assert.strictEqual(notices.length, 1)
      const text = notices[0]?.data.toString("latin1") ?? ""
      assert.deepStrictEqual(notices[0]?.rcptTo, ["sender@origin.test"])
      assert.match(text, /Subject: Delayed Mail \(still being retried\)/)
      assert.match(text, /Action: delayed/)
      assert.match(text, /Status: 4\.2\.1/)
      assert.match(text, /Diagnostic-Code: smtp; 451 4\.2\.1 mailbox busy/)
      assert.match(text, /Will-Retry-Until: /)
    }).pipe(Effect.scoped))
})

