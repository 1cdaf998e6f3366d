import { Pipeline, Plugin } from "@cartero/core"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { TestSession, TestStore, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as RecipientLimit from "../src/RecipientLimit.ts"

describe("RecipientLimit (docs/writing-a-plugin.md)", () => {
  it.effect("refuses a third recipient at DATA, unless the client authenticated", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      const three = ["a@example.test", "b@example.test", "c@example.test"]
      const refused = yield* pipeline.data(TestSession.transaction(TestSession.connection(), three))
      assert.strictEqual(refused._tag === "Reject" ? refused.reply.code : 0, 550)
      const user = yield* pipeline.data(TestSession.transaction(TestSession.connection({ user: "alice" }), three))
      assert.strictEqual(user._tag, "Continue")
    }).pipe(Effect.provide(Pipeline.Pipeline.layer([RecipientLimit.plugin({ max: 2 })]))))

  it.effect("tags the messages it lets through, reading the parsed message", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      const txn = TestSession.transaction(TestSession.connection(), ["a@example.test"])
      const verdict = yield* pipeline.message(txn, TestSession.message("", "Subject: hi\r\n\r\nHello.\r\n"))
      assert.deepStrictEqual(verdict._tag === "Continue" ? verdict.headers : [], [{ name: "X-Recipient-Count", value: "1" }])
    }).pipe(Effect.provide(Pipeline.Pipeline.layer([RecipientLimit.plugin({ max: 2 })]))))

  it.live("on the wire: 550 5.5.3 in reply to DATA, before the body is sent", () => {
    const store = TestStore.make()
    const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))
    const pipeline = Pipeline.Pipeline.layer([RecipientLimit.plugin({ max: 1 }), acceptAll, store.plugin])
    return Effect.gen(function*() {
      const mx = (yield* SmtpServer.SmtpServer).address("mx")
      if (mx === undefined) return assert.fail("no MX listener")
      yield* Transcript.run(mx, `
        <~ 220
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@example.org>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> RCPT TO:<carol@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <- 550 5.5.3 Too many recipients (at most 1)
      `)
      assert.strictEqual(store.stored.length, 0)
    }).pipe(Effect.provide(SmtpServer.SmtpServer.layerTest().pipe(Layer.provide(pipeline))))
  })
})
