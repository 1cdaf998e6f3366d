/** The plugin's replies on the wire: a real server on a loopback port, real SMTP sessions, transcripts. */
import { Pipeline, Plugin } from "@cartero/core"
import { PolicyStore } from "@cartero/policy-store"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { TestStore, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { RateLimit } from "../src/index.ts"

const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))

const serverWith = (options: RateLimit.Options, store: TestStore.TestStore) =>
  SmtpServer.SmtpServer.layerTest().pipe(
    Layer.provide(Pipeline.Pipeline.layer([RateLimit.plugin(options), acceptAll, store.plugin])),
    Layer.provide(PolicyStore.PolicyStore.layerMemory())
  )

const mx = Effect.flatMap(SmtpServer.SmtpServer, (s) => {
  const address = s.address("mx")
  return address === undefined ? Effect.die("no MX listener") : Effect.succeed(address)
})

describe("RateLimit on the wire", () => {
  it.live("450 4.7.1 at MAIL FROM past the client's messages, 452 4.5.3 past the recipients of one message", () => {
    const store = TestStore.make()
    return Effect.gen(function*() {
      const address = yield* mx
      yield* Transcript.run(address, `
        <~ 220
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> RCPT TO:<carol@example.test>
        <- 250 2.1.5 Accepted
        -> RCPT TO:<dave@example.test>
        <- 452 4.5.3 Too many recipients for one message (at most 2), send the rest in another
        -> DATA
        <~ 354
        -> Subject: one
        ->
        -> Hello.
        -> .
        <~ 250
        -> MAIL FROM:<alice@sender.test>
        <- 450 4.7.1 Too many messages from 127.0.0.1, try again in * s
        -> QUIT
        <~ 221
      `)
      assert.strictEqual(store.stored.length, 1)
    }).pipe(Effect.provide(serverWith({ perClient: { messages: { count: 1, per: "1 hour" } }, recipientsPerMessage: 2 }, store)))
  })

  it.live("421 4.7.0 instead of the banner past the connection rate, and the connection is closed", () =>
    Effect.gen(function*() {
      const address = yield* mx
      yield* Transcript.run(address, `
        <~ 220
        -> QUIT
        <~ 221
      `)
      yield* Transcript.run(address, `
        <- 421 4.7.0 Too many connections from 127.0.0.1, try again in * s
        << closed
      `)
    }).pipe(Effect.provide(serverWith({ perClient: { connections: { count: 1, per: "1 minute" } } }, TestStore.make()))))
})
