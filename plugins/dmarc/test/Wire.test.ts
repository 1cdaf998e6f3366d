import { Message, Pipeline, Plugin } from "@cartero/core"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { Spf } from "@cartero/plugin-spf"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { TestStore, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Dmarc from "../src/Dmarc.ts"
import { zones } from "./fixtures.ts"

/** A real server on loopback: SPF (acting on nothing), DMARC, a relay rule that accepts everyone, a recording store. */
const serverWith = (store: TestStore.TestStore) => {
  const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))
  const pipeline = Pipeline.Pipeline.layer([
    Spf.plugin({ hostname: "mx.test", fail: "tag" }),
    Dmarc.plugin({ authservId: "mx.test" }),
    acceptAll,
    store.plugin
  ]).pipe(Layer.provide(MailAuthTesting.dns(zones)))
  return SmtpServer.SmtpServer.layerTest().pipe(Layer.provide(pipeline))
}

describe("Dmarc plugin on the wire", () => {
  it.live("p=reject: 550 5.7.1 after the body, nothing stored; the session goes on", () => {
    const store = TestStore.make()
    return Effect.gen(function*() {
      const mx = (yield* SmtpServer.SmtpServer).address("mx")
      if (mx === undefined) return assert.fail("no MX listener")
      yield* Transcript.run(mx, `
        <~ 220
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<ceo@spoof.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        -> From: The CEO <ceo@reject.test>
        -> Subject: wire transfer
        ->
        -> Please pay.
        -> .
        <- 550 5.7.1 Message rejected by the DMARC policy of reject.test: not authenticated by an aligned SPF or DKIM result
        -> RSET
        <- 250 2.0.0 Flushed
        -> QUIT
        <~ 221
      `)
      assert.strictEqual(store.stored.length, 0)
    }).pipe(Effect.provide(serverWith(store)))
  })

  it.live("forged Authentication-Results with our authserv-id are removed; ours is the one field with our id, on top", () => {
    const store = TestStore.make()
    return Effect.gen(function*() {
      const mx = (yield* SmtpServer.SmtpServer).address("mx")
      if (mx === undefined) return assert.fail("no MX listener")
      yield* Transcript.run(mx, `
        <~ 220
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@passing.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        -> Authentication-Results: MX.TEST;
        ->  dkim=pass header.d=reject.test
        -> From: alice@passing.test
        -> Authentication-Results: other.example; spf=pass smtp.mailfrom=alice@passing.test
        -> Authentication-Results: mx.test 1; dmarc=pass header.from=reject.test
        -> Subject: hi
        ->
        -> Hello.
        -> .
        <~ 250
        -> QUIT
        <~ 221
      `)
      assert.strictEqual(store.stored.length, 1)
      const stored = store.stored[0]
      if (stored === undefined) return assert.fail("nothing stored")
      const text = new TextDecoder().decode(yield* Message.toBytes(stored.message))
      const head = text.slice(0, text.indexOf("\r\n\r\n"))
      const fields = head.replace(/\r\n[ \t]+/g, " ").split("\r\n")
      const ours = fields.filter((f) => /^Authentication-Results:\s*mx\.test\b/i.test(f))
      assert.strictEqual(ours.length, 1, head)
      assert.match(fields[0] ?? "", /^Authentication-Results: mx\.test; spf=pass .*; dmarc=pass \(p=REJECT\) header\.from=passing\.test/)
      assert.match(fields[1] ?? "", /^Received-SPF: pass /)
      assert.match(fields[2] ?? "", /^Received: /)
      assert.include(fields, "Authentication-Results: other.example; spf=pass smtp.mailfrom=alice@passing.test")
      assert.notInclude(head, "header.d=reject.test")
      assert.notInclude(head, "header.from=reject.test")
      assert.match(text, /\r\n\r\nHello\.\r\n$/)
    }).pipe(Effect.provide(serverWith(store)))
  })
})
