/**
 * On the wire: a real server (`SmtpServer.SmtpServer.layerTest`, `mx.test`) with an MX listener and a submission
 * listener (STARTTLS + AUTH), this plugin, and a store that keeps the bytes it was given. The stored bytes are what
 * a mailbox or the next hop would get: `prepend`, then the message.
 */
import { type Hooks, Message, Pipeline, Plugin } from "@cartero/core"
import { Headers as MimeHeaders } from "@cartero/mime"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { TestStore, TestTls, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, References } from "effect"
import { Headers } from "../src/index.ts"

const S = String.raw
const plain = (user: string, pass: string) => Buffer.from(`\u0000${user}\u0000${pass}`).toString("base64")

/** alice / secret; accepts every recipient of an authenticated or trusted session, and example.test's for anyone. */
const usersAndRelay = Plugin.make(
  "users-and-relay",
  Effect.succeed<Hooks.Hooks>({
    auth: (_c, attempt) => Effect.succeed(attempt.username === "alice" && attempt.verify("secret") ? Verdict.accept() : Verdict.next),
    rcptTo: (txn, rcpt) =>
      Effect.succeed(
        txn.connection.user !== undefined || txn.connection.trusted || rcpt.address.domain === "example.test" ? Verdict.accept() : Verdict.next
      )
  })
)

/** A store that keeps, for each message, the full stored octets (`prepend` + message), read inside the hook. */
const storing = () => {
  const stored: Array<string> = []
  const store = TestStore.make({
    write: (entry) =>
      Effect.map(Effect.orDie(Message.toBytes(entry.message)), (bytes) => {
        stored.push(Buffer.from(bytes).toString("latin1"))
        return Verdict.accept()
      })
  })
  return { stored, store }
}

type Kind = "mx" | "submission"

const withServer = <A, E>(
  plugin: Plugin.Plugin<unknown>,
  f: (play: (kind: Kind, script: string) => Effect.Effect<unknown, unknown>, stored: Array<string>, store: TestStore.TestStore) => Effect.Effect<A, E>,
  trustedMx = false
) => {
  const { stored, store } = storing()
  const layer = SmtpServer.SmtpServer.layerTest({
    tls: { key: TestTls.key, cert: TestTls.cert },
    listeners: [
      { kind: "mx", host: "127.0.0.1", port: 0, trusted: trustedMx },
      { kind: "submission", host: "127.0.0.1", port: 0 }
    ]
  }).pipe(Layer.provide(Pipeline.Pipeline.layer([usersAndRelay, plugin, store.plugin])))
  return Effect.gen(function*() {
    const server = yield* SmtpServer.SmtpServer
    const play = (kind: Kind, script: string) => {
      const listener = server.address(kind)
      if (listener === undefined) return Effect.die(new Error(`no ${kind} listener`))
      return Transcript.run({ host: listener.host, port: listener.port, tls: { ca: TestTls.cert, servername: "localhost" }, timeout: "3 seconds" }, script)
    }
    return yield* f(play, stored, store)
  }).pipe(Effect.provide(layer), Effect.provideService(References.MinimumLogLevel, "None"))
}

/** EHLO, STARTTLS, AUTH as alice, then MAIL/RCPT (two recipients)/DATA, `data`, the final dot. */
const submit = (data: string) =>
  S`
  <- 220 *
  -> EHLO laptop.home
  <~ 250 
  -> STARTTLS
  <- 220 2.0.0 Ready to start TLS
  ** tls
  -> EHLO laptop.home
  <~ 250 
  -> AUTH PLAIN ${plain("alice", "secret")}
  <- 235 2.7.0 Authentication successful
  -> MAIL FROM:<alice@example.test>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<bob@example.org>
  <- 250 2.1.5 Accepted
  -> RCPT TO:<carol@example.net>
  <- 250 2.1.5 Accepted
  -> DATA
  <~ 354
  => ${data}.\r\n
  <~ 250 2.6.0
`

/** The same message from an Internet client to the MX: no TLS, no AUTH. */
const relayIn = (data: string) =>
  S`
  <- 220 *
  -> EHLO other-mta.example
  <~ 250 
  -> MAIL FROM:<dave@example.com>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<bob@example.test>
  <- 250 2.1.5 Accepted
  -> DATA
  <~ 354
  => ${data}.\r\n
  <~ 250 2.6.0
`

const names = (stored: string | undefined) => MimeHeaders.parse(stored ?? "").fields.map((f) => f.name)
const bodyOf = (stored: string | undefined) => (stored ?? "").slice((stored ?? "").indexOf("\r\n\r\n") + 4)
const received = (stored: string | undefined) => MimeHeaders.parse(stored ?? "").getAll("received")

const bare = S`From: Alice <alice@example.test>\r\nTo: Bob <bob@example.org>\r\nBcc: Carol\r\n <carol@example.net>\r\nSubject: hello\r\n\r\nHi Bob.\r\n`

describe("Headers on the wire", () => {
  it.live("submission: a missing Message-ID and Date are added, a folded Bcc is gone from the stored bytes", () =>
    withServer(Headers.plugin({ hostname: "mail.example.test" }), (play, stored) =>
      Effect.gen(function*() {
        yield* play("submission", submit(bare))
        const message = stored[0]
        assert.deepStrictEqual(names(message), ["Message-ID", "Date", "Received", "From", "To", "Subject"])
        const parsed = MimeHeaders.parse(message ?? "")
        assert.match(parsed.value("message-id") ?? "", /^<[0-9a-f-]{36}@mail\.example\.test>$/)
        const date = Date.parse(parsed.value("date") ?? "")
        assert.isBelow(Math.abs(Date.now() - date), 60_000, "Date is now")
        assert.match(parsed.value("date") ?? "", /^\w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000$/)
        assert.notInclude(message ?? "", "carol")
        assert.notInclude(message?.toLowerCase() ?? "", "bcc")
        assert.strictEqual(bodyOf(message), "Hi Bob.\r\n")
        // Not in privacy mode: the server's own trace field, naming the client, is there.
        assert.include(received(message)[0]?.decoded ?? "", "from laptop.home (unknown [127.0.0.1])")
      })))

  it.live("submission: a present Message-ID and Date are kept untouched, nothing added; the message is byte for byte as sent", () => {
    const sent = S`Date: Wed, 25 Nov 2026 10:00:00 +0100\r\nMessage-ID: <m1@laptop.home>\r\nSubject: kept\r\n\r\nBody.\r\n`
    return withServer(Headers.plugin({ hostname: "mail.example.test" }), (play, stored) =>
      Effect.gen(function*() {
        yield* play("submission", submit(sent))
        const message = stored[0] ?? ""
        assert.deepStrictEqual(names(message), ["Received", "Date", "Message-ID", "Subject"])
        assert.isTrue(message.endsWith(sent.replaceAll("\\r\\n", "\r\n")), message)
      }))
  })

  it.live("privacy: the client's trace is replaced by one naming only this server; the hop count stays the same", () => {
    const withTrace = S`Received: from earlier.example by laptop.home; Wed, 25 Nov 2026 10:00:00 +0100\r\n${bare}`
    return withServer(Headers.plugin({ hostname: "mail.example.test", privacy: true }), (play, stored, store) =>
      Effect.gen(function*() {
        yield* play("submission", submit(withTrace))
        const message = stored[0] ?? ""
        const id = store.stored[0]?.transaction.id ?? "?"
        assert.deepStrictEqual(names(message), ["Received", "Message-ID", "Date", "Received", "From", "To", "Subject"])
        const trace = received(message)
        assert.strictEqual(trace.length, 2, "our field replaced, the earlier hop's kept")
        assert.match(trace[0]?.decoded ?? "", new RegExp(`^by mail\\.example\\.test \\(Cartero\\) with ESMTPSA id ${id}; \\w{3}, .* \\+0000$`))
        assert.strictEqual(trace[1]?.decoded, "from earlier.example by laptop.home; Wed, 25 Nov 2026 10:00:00 +0100")
        for (const leak of ["127.0.0.1", "TLS", "cipher"]) assert.notInclude(message.split("\r\n\r\n")[0] ?? "", leak)
        assert.notInclude(trace[0]?.decoded ?? "", "laptop.home", "the client's HELO name is gone")
        assert.notInclude(message, "carol")
      }))
  })

  it.live("MX traffic from an unauthenticated client is untouched: Bcc kept, nothing added, the server's Received only", () =>
    withServer(Headers.plugin({ hostname: "mail.example.test", privacy: true }), (play, stored) =>
      Effect.gen(function*() {
        yield* play("mx", relayIn(bare))
        const message = stored[0] ?? ""
        assert.deepStrictEqual(names(message), ["Received", "From", "To", "Bcc", "Subject"])
        assert.include(received(message)[0]?.decoded ?? "", "from other-mta.example (unknown [127.0.0.1])")
        assert.isTrue(message.endsWith(bare.replaceAll("\\r\\n", "\r\n")))
      })))

  it.live("a trusted network on the MX listener counts as submission without AUTH", () =>
    withServer(Headers.plugin({ hostname: "mail.example.test", trustedNetworks: ["127.0.0.0/8"] }), (play, stored) =>
      Effect.gen(function*() {
        yield* play("mx", relayIn(bare))
        assert.deepStrictEqual(names(stored[0]), ["Message-ID", "Date", "Received", "From", "To", "Subject"])
      })))

  it.live("a trusted listener counts as submission without AUTH (config-driven plugin, privacy from the environment)", () =>
    withServer(
      Headers.pluginConfig,
      (play, stored) =>
        Effect.gen(function*() {
          yield* play("mx", S`
            <- 220 *
            -> EHLO app.internal
            <~ 250 
            -> MAIL FROM:<app@example.test>
            <- 250 2.1.0 Accepted
            -> RCPT TO:<bob@example.org>
            <- 250 2.1.5 Accepted
            -> DATA
            <~ 354
            => ${bare}.\r\n
            <~ 250 2.6.0
          `)
          const message = stored[0] ?? ""
          assert.deepStrictEqual(names(message), ["Received", "Message-ID", "Date", "From", "To", "Subject"])
          assert.match(received(message)[0]?.decoded ?? "", /^by cfg\.example\.test \(Cartero\) with ESMTP id /)
          assert.match(MimeHeaders.parse(message).value("message-id") ?? "", /@cfg\.example\.test>$/)
        }),
      true
    ).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CARTERO_HOSTNAME: "cfg.example.test", CARTERO_HEADERS_PRIVACY: "true" } })))))
})
