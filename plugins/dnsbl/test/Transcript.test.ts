/** The plugin on the wire: a real server on a loopback port, a real resolver over FakeDns, clients from 127.0.0.x. */
import { Pipeline } from "@cartero/core"
import { Dns } from "@cartero/dns"
import { SmtpServer } from "@cartero/server"
import { FakeDns, TestStore, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Dnsbl, type Policy } from "../src/index.ts"
import { acceptAll, quiet } from "./helpers.ts"

const zones: FakeDns.Zones = {
  "2.0.0.127.zen.test": { A: ["127.0.0.2"], TXT: ["Listed, see https://zen.test/q/127.0.0.2"] },
  "3.0.0.127.tag.test": { A: ["127.0.0.2"] }
}

/** A server whose pipeline is the plugin, an accept-all recipient rule and a recording store. */
const server = (options: Policy.Options) =>
  Effect.gen(function*() {
    const fake = yield* FakeDns.make(zones)
    const store = TestStore.make()
    const pipeline = Pipeline.Pipeline.layer([Dnsbl.plugin(options), acceptAll, store.plugin]).pipe(
      Layer.provide(Dns.Dns.layer({ nameservers: [fake.nameserver] }))
    )
    const context = yield* Layer.build(SmtpServer.SmtpServer.layerTest().pipe(Layer.provide(pipeline)))
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die(new Error("no MX listener"))
    return { mx, store, fake }
  })

// Loopback clients are private: checkPrivate lets the tests be listed clients (127.0.0.2 is every list's test entry).
const options: Policy.Options = { zones: ["zen.test=127.0.0.[2..11]", "tag.test:tag"], checkPrivate: true }

describe("Dnsbl on the wire", () => {
  it.live("a listed client gets 554 5.7.1 with the zone's text at RCPT TO; a tagged one is accepted with X-DNSBL", () =>
    Effect.gen(function*() {
      const { mx, store } = yield* server(options)
      yield* Transcript.run({ host: mx.host, port: mx.port, localAddress: "127.0.0.2" }, `
        <~ 220
        -> EHLO listed.test
        <~ 250
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 554 5.7.1 zen.test lists 127.0.0.2: Listed, see https://zen.test/q/127.0.0.2
        -> RCPT TO:<carol@example.test>
        <- 554 5.7.1 zen.test lists 127.0.0.2: Listed, see https://zen.test/q/127.0.0.2
        -> DATA
        <- 503 5.5.1 Error: need RCPT command
        -> QUIT
        <- 221 *
      `)
      assert.strictEqual(store.stored.length, 0)
      yield* Transcript.run({ host: mx.host, port: mx.port, localAddress: "127.0.0.3" }, String.raw`
        <~ 220
        -> EHLO tagged.test
        <~ 250
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => Subject: hi\r\n\r\nHello.\r\n.\r\n
        <~ 250
        -> QUIT
        <- 221 *
      `)
      assert.strictEqual(store.stored.length, 1)
      assert.include(store.stored[0]?.message.prepend ?? "", "X-DNSBL: tag.test lists 127.0.0.3 (127.0.0.2)\r\n")
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("delayReject: false refuses a listed client instead of the banner and closes; others are greeted", () =>
    Effect.gen(function*() {
      const { mx } = yield* server({ ...options, delayReject: false })
      yield* Transcript.run({ host: mx.host, port: mx.port, localAddress: "127.0.0.2" }, `
        <- 554 5.7.1 zen.test lists 127.0.0.2: Listed, see https://zen.test/q/127.0.0.2
        << closed
      `)
      yield* Transcript.run({ host: mx.host, port: mx.port, localAddress: "127.0.0.1" }, `
        <~ 220
        -> QUIT
        <- 221 *
      `)
    }).pipe(Effect.scoped, Effect.provide(quiet)))
})
