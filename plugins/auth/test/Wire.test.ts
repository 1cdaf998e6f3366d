/**
 * On the wire: a real server (`SmtpServer.SmtpServer.layerTest`) with a submission listener (STARTTLS + AUTH required), this
 * plugin, a relay plugin for authenticated sessions and a recording queue; nodemailer as the client.
 */
import { type Hooks, Pipeline, Plugin } from "@cartero/core"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { TestStore, TestTls, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, References } from "effect"
import nodemailer from "nodemailer"
import { Auth } from "../src/index.ts"
import { hashOf } from "./Session.fixture.ts"

/** Accepts every recipient of an authenticated session (what local-domains does for relaying). */
const relayForUsers = Plugin.make(
  "relay-for-users",
  Effect.succeed<Hooks.Hooks>({
    rcptTo: (txn) => Effect.succeed(txn.connection.user === undefined ? Verdict.next : Verdict.accept())
  })
)

/** A store that keeps every message in memory. */
const recorder = () => {
  const store = TestStore.make()
  return { messages: store.stored, plugin: store.plugin }
}

const clientTls = { ca: TestTls.cert, servername: "localhost" }

/** A server with the auth plugin (alice, one alias), the relay rule and `queue`; `f` gets the submission port. */
const withSubmission = <A, E>(queue: Plugin.Plugin, f: (port: number) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const users = [`alice@example.test:${yield* hashOf("s3cret")}:alice.smith@example.test`]
    const layer = SmtpServer.SmtpServer.layerTest({
      tls: { key: TestTls.key, cert: TestTls.cert },
      listeners: [{ kind: "submission", host: "127.0.0.1", port: 0 }]
    }).pipe(Layer.provide(Pipeline.Pipeline.layer([Auth.plugin({ users }), relayForUsers, queue])))
    return yield* Effect.gen(function*() {
      const server = yield* SmtpServer.SmtpServer
      const listener = server.address("submission")
      if (listener === undefined) return yield* Effect.die(new Error("no submission listener"))
      return yield* f(listener.port)
    }).pipe(Effect.provide(layer))
  }).pipe(Effect.provideService(References.MinimumLogLevel, "None"))

const transport = (port: number, user: string, pass: string) =>
  nodemailer.createTransport({
    host: "127.0.0.1",
    port,
    secure: false,
    requireTLS: true,
    tls: clientTls,
    auth: { user, pass },
    authMethod: "PLAIN",
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 5000
  })

/** Runs a nodemailer call and closes the transport whatever happens. */
type Transport = ReturnType<typeof transport>
const using = <A>(t: Transport, f: (t: Transport) => Promise<A>) =>
  Effect.tryPromise(() => f(t)).pipe(Effect.ensuring(Effect.sync(() => t.close())))

describe("submission with the auth plugin (nodemailer)", () => {
  it.live("STARTTLS + AUTH PLAIN as alice, sending as herself: queued, the session is alice's", () => {
    const rec = recorder()
    return withSubmission(rec.plugin, (port) =>
      Effect.gen(function*() {
        const info = yield* using(transport(port, "alice@example.test", "s3cret"), (t) =>
          t.sendMail({ from: "alice@example.test", to: "bob@example.org", subject: "Hello Bob", text: "Hi Bob\n" }))
        assert.match(info.response, /^250 2\.6\.0 Message queued as /)
        const got = rec.messages[0]
        assert.strictEqual(got?.transaction.connection.user, "alice@example.test")
        assert.include(got?.message.prepend ?? "", "with ESMTPSA id")
      }))
  })

  it.live("an alias from the users file is an allowed sender", () => {
    const rec = recorder()
    return withSubmission(rec.plugin, (port) =>
      Effect.gen(function*() {
        const info = yield* using(transport(port, "alice@example.test", "s3cret"), (t) =>
          t.sendMail({ from: "alice.smith@example.test", to: "bob@example.org", text: "x\n" }))
        assert.match(info.response, /^250 2\.6\.0 /)
        assert.strictEqual(rec.messages.length, 1)
      }))
  })

  it.live("a wrong password gets 535 5.7.8", () =>
    withSubmission(recorder().plugin, (port) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(using(transport(port, "alice@example.test", "wrong"), (t) => t.verify()))
        assert.include(String(error.cause), "535 5.7.8 Authentication credentials invalid")
      })))

  it.live("sending as someone else gets 553 5.7.1 and nothing is queued", () => {
    const rec = recorder()
    return withSubmission(rec.plugin, (port) =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(using(transport(port, "alice@example.test", "s3cret"), (t) =>
          t.sendMail({ from: "ceo@example.test", to: "bob@example.org", text: "x\n" })))
        assert.include(String(error.cause), "553 5.7.1 Sender address not owned by user alice@example.test")
        assert.strictEqual(rec.messages.length, 0)
      }))
  })
})

describe("submission with the auth plugin (transcript)", () => {
  const S = String.raw
  const b64 = (s: string) => Buffer.from(s).toString("base64")
  it.live("AUTH LOGIN with another case; unknown user and wrong password read the same; MAIL FROM checked", () =>
    withSubmission(recorder().plugin, (port) =>
      Transcript.run({ host: "127.0.0.1", port, tls: clientTls, timeout: "5 seconds" }, S`
        <- 220 *
        -> EHLO client.test
        <~ 250 
        -> STARTTLS
        <- 220 2.0.0 Ready to start TLS
        ** tls
        -> EHLO client.test
        <* AUTH PLAIN LOGIN
        -> AUTH PLAIN ${b64("\u0000nobody@example.test\u0000s3cret")}
        <- 535 5.7.8 Authentication credentials invalid
        -> AUTH PLAIN ${b64("\u0000alice@example.test\u0000nope")}
        <- 535 5.7.8 Authentication credentials invalid
        -> AUTH LOGIN
        <- 334 VXNlcm5hbWU6
        -> ${b64("Alice@Example.TEST")}
        <- 334 UGFzc3dvcmQ6
        -> ${b64("s3cret")}
        <- 235 2.7.0 Authentication successful
        -> MAIL FROM:<bob@example.test>
        <- 553 5.7.1 Sender address not owned by user alice@example.test
        -> MAIL FROM:<ALICE@example.test>
        <- 250 2.1.0 Accepted
      `)))
})
