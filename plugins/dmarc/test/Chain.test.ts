import { Message, Pipeline, Plugin } from "@cartero/core"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { ArcVerify } from "@cartero/plugin-arc"
import { DkimVerify } from "@cartero/plugin-dkim-verify"
import { Spf } from "@cartero/plugin-spf"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { SmtpTestClient, TestStore } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Dmarc from "../src/Dmarc.ts"
import { messageFrom, sign, zones } from "./fixtures.ts"

/** The recommended order, with the real verifier plugins: spf → dkim-verify → arc-verify → dmarc. */
const serverWith = (store: TestStore.TestStore) => {
  const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))
  const pipeline = Pipeline.Pipeline.layer([
    Spf.plugin({ hostname: "mx.test", fail: "tag" }),
    DkimVerify.plugin(),
    ArcVerify.plugin(),
    Dmarc.plugin({ authservId: "mx.test" }),
    acceptAll,
    store.plugin
  ]).pipe(Layer.provide(MailAuthTesting.dns(zones)))
  return SmtpServer.SmtpServer.layerTest().pipe(Layer.provide(pipeline))
}

/** One message over a real SMTP session; the reply to the final dot. */
const send = (mailFrom: string, raw: string) =>
  Effect.scoped(Effect.gen(function*() {
    const mx = (yield* SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die(new Error("no MX listener"))
    const client = yield* SmtpTestClient.connect(mx)
    yield* client.readReply()
    yield* client.command("EHLO client.test")
    yield* client.command(`MAIL FROM:<${mailFrom}>`)
    yield* client.command("RCPT TO:<bob@example.test>")
    yield* client.command("DATA")
    yield* client.sendRaw(`${raw}.\r\n`)
    const reply = yield* client.readReply()
    yield* client.command("QUIT")
    return reply.lines.join(" ")
  }))

describe("Dmarc after the real SPF, DKIM and ARC verifiers", () => {
  it.live("a signed message from reject.test through a sender SPF does not allow: dkim=pass aligns, dmarc=pass; unsigned: 550 5.7.1", () => {
    const store = TestStore.make()
    return Effect.gen(function*() {
      const raw = yield* sign(messageFrom(["Alice <alice@reject.test>"]), "reject.test")
      assert.match(yield* send("alice@reject.test", raw), /^250 /)
      const stored = store.stored[0]
      if (stored === undefined) return assert.fail("nothing stored")
      const text = new TextDecoder().decode(yield* Message.toBytes(stored.message))
      const first = text.slice(0, text.indexOf("\r\nReceived-SPF:")).replace(/\r\n[ \t]+/g, " ")
      assert.match(first, /^Authentication-Results: mx\.test; spf=fail .*; dkim=pass header\.i=@reject\.test header\.s=s1 .*; dmarc=pass \(p=REJECT arc=none\) header\.from=reject\.test/)
      const forged = yield* send("alice@reject.test", messageFrom(["Alice <alice@reject.test>"]))
      assert.strictEqual(forged, "550 5.7.1 Message rejected by the DMARC policy of reject.test: not authenticated by an aligned SPF or DKIM result")
      assert.strictEqual(store.stored.length, 1)
    }).pipe(Effect.provide(serverWith(store)))
  })
})
