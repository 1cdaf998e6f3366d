/** The plugin's replies on the wire: a real server on a loopback port, real SMTP sessions, transcripts. */
import { Pipeline, Plugin } from "@cartero/core"
import { Resolver, Results } from "@cartero/mail-auth"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { PolicyStore } from "@cartero/policy-store"
import { SmtpServer } from "@cartero/server"
import { Address, Verdict } from "@cartero/smtp"
import { TestStore, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { spf } from "mailauth"
import { Greylist } from "../src/index.ts"
import { acceptAll } from "./fixtures.ts"

/** What the SPF plugin does at MAIL FROM, in brief: mailauth's SPF result into the transaction's note. */
const spfNote = Plugin.make(
  "spf-note",
  Effect.gen(function*() {
    const resolver = yield* Resolver.fromContext
    return {
      mailFrom: (txn) =>
        Effect.gen(function*() {
          const sender = txn.mailFrom === null ? {} : { sender: Address.format(txn.mailFrom) }
          const helo = txn.connection.helo === undefined ? {} : { helo: txn.connection.helo }
          const result = yield* Effect.promise(() => spf({ ...sender, ...helo, ip: txn.connection.remoteAddress, mta: "mx.test", resolver }))
          yield* Results.Spf.set(txn, result)
          return Verdict.next
        })
    }
  })
)

const serverWith = (store: TestStore.TestStore) =>
  SmtpServer.SmtpServer.layerTest().pipe(
    Layer.provide(Pipeline.Pipeline.layer([spfNote, Greylist.plugin(), acceptAll, store.plugin])),
    Layer.provide(PolicyStore.PolicyStore.layerMemory()),
    Layer.provide(MailAuthTesting.dns({ "spf-pass.test": { TXT: ["v=spf1 ip4:127.0.0.1 -all"] }, "spf-fail.test": { TXT: ["v=spf1 -all"] } }))
  )

const mx = Effect.flatMap(SmtpServer.SmtpServer, (s) => {
  const address = s.address("mx")
  return address === undefined ? Effect.die("no MX listener") : Effect.succeed(address)
})

describe("Greylist on the wire", () => {
  it.live("451 4.7.1 at RCPT TO for a new triplet; an SPF-pass sender without aligned DKIM gets it after the body", () => {
    const store = TestStore.make()
    return Effect.gen(function*() {
      const address = yield* mx
      yield* Transcript.run(address, `
        <~ 220
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@spf-fail.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 451 4.7.1 Greylisted, please try again in 300 s
        -> RSET
        <~ 250
        -> MAIL FROM:<carol@spf-pass.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        -> From: carol@spf-pass.test
        -> Subject: unsigned
        ->
        -> Hello.
        -> .
        <- 451 4.7.1 Greylisted, please try again in 300 s
        -> QUIT
        <~ 221
      `)
      assert.strictEqual(store.stored.length, 0)
    }).pipe(Effect.provide(serverWith(store)))
  })
})
