import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { TestTls } from "@cartero/testing"
import { Effect, Redacted } from "effect"
import * as Auth from "../src/Auth.ts"
import * as Capabilities from "../src/Capabilities.ts"
import * as ConnectionPool from "../src/ConnectionPool.ts"
import * as SmtpClient from "../src/SmtpClient.ts"
import * as TlsPolicy from "../src/TlsPolicy.ts"
import * as AuthServer from "./support/AuthServer.ts"
import { clientOptions, envelope, message } from "./support/fixtures.ts"
import * as RawServer from "./support/RawServer.ts"

const relay = Auth.make("relay", "s3cret")
const opportunistic = TlsPolicy.opportunistic
/** Opportunistic TLS that trusts the test relay's certificate (the test kit's `localhost` / `127.0.0.1` one). */
const trusted = TlsPolicy.make("opportunistic", { ca: TestTls.cert })

describe("Auth: units", () => {
  it("EHLO parsing: AUTH and the pre-standard AUTH= form; mechanism choice PLAIN > LOGIN", () => {
    assert.deepStrictEqual(Capabilities.fromEhlo(["250-x", "250 AUTH LOGIN plain"]).auth, ["LOGIN", "PLAIN"])
    assert.deepStrictEqual(Capabilities.fromEhlo(["250-x", "250-AUTH=LOGIN", "250 AUTH LOGIN"]).auth, ["LOGIN"])
    assert.deepStrictEqual(Capabilities.fromEhlo(["250-x", "250 8BITMIME"]).auth, [])
    assert.strictEqual(Auth.choose(["LOGIN", "PLAIN"]), "PLAIN")
    assert.strictEqual(Auth.choose(["CRAM-MD5", "LOGIN"]), "LOGIN")
    assert.isUndefined(Auth.choose(["CRAM-MD5", "XOAUTH2"]))
  })

  it("pool keys: credentials separate connections, and the key never contains the password", () => {
    const base = { host: "mx.test", address: "192.0.2.1", port: 25, heloName: "h", tls: TlsPolicy.none, timeouts: {} as never }
    const keys = [
      ConnectionPool.keyOf(base),
      ConnectionPool.keyOf({ ...base, auth: relay }),
      ConnectionPool.keyOf({ ...base, auth: Auth.make("relay", "other") }),
      ConnectionPool.keyOf({ ...base, auth: Auth.make("other", "s3cret") }),
      ConnectionPool.keyOf({ ...base, auth: Auth.make("relay", "s3cret", { allowPlaintextAuth: true }) })
    ]
    assert.strictEqual(new Set(keys).size, keys.length)
    assert.strictEqual(ConnectionPool.keyOf({ ...base, auth: Auth.make("relay", "s3cret") }), keys[1], "same credentials, same key")
    for (const k of keys) assert.notInclude(k, "s3cret")
    // In plaintext the name does not matter on the wire; under TLS it does (SNI, certificate name).
    assert.strictEqual(ConnectionPool.keyOf({ ...base, host: "other.test" }), keys[0])
    assert.notStrictEqual(ConnectionPool.keyOf({ ...base, tls: opportunistic }), ConnectionPool.keyOf({ ...base, host: "other.test", tls: opportunistic }))
  })
})

describe("SmtpClient: AUTH", () => {
  it.live("AUTH PLAIN after STARTTLS to a relay that requires it: delivered as the user", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make()
      const client = yield* SmtpClient.make(clientOptions())
      const r = yield* client.send({ host: "127.0.0.1", port: server.port, tls: trusted, auth: relay, envelope: envelope(["a"]), message: message() })
      assert.deepStrictEqual(r.recipients.map((x) => x._tag), ["Delivered"])
      assert.isDefined(r.remote.tls)
      assert.deepStrictEqual(server.auths, [{ method: "PLAIN", user: "relay", ok: true, secure: true }])
      assert.strictEqual(server.messages[0]?.user, "relay")
      assert.isTrue(server.messages[0]?.secure)
    }))

  it.live("AUTH LOGIN when PLAIN is not offered", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make({ methods: ["LOGIN"] })
      const client = yield* SmtpClient.make(clientOptions())
      const r = yield* client.send({ host: "127.0.0.1", port: server.port, tls: trusted, auth: relay, envelope: envelope(["a", "b"]), message: message() })
      assert.deepStrictEqual(r.recipients.map((x) => x._tag), ["Delivered", "Delivered"])
      assert.deepStrictEqual(server.auths, [{ method: "LOGIN", user: "relay", ok: true, secure: true }])
      assert.deepStrictEqual(server.messages[0]?.rcptTo, ["a@dest.test", "b@dest.test"])
    }))

  it.live("AUTH refused without TLS: ConnectError auth before the password is sent; allowPlaintextAuth opts in", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make({ plaintext: true })
      const client = yield* SmtpClient.make(clientOptions())
      for (const tls of [TlsPolicy.none, opportunistic]) {
        const e = yield* Effect.flip(client.send({ host: "127.0.0.1", port: server.port, tls, auth: relay, envelope: envelope(["a"]), message: message() }))
        assert.strictEqual(e.reason, "auth")
        assert.match(e.detail, /AUTH requires TLS/)
        assert.match(SmtpReply.toString(e.toReply()), /^451 4\.7\.0 authentication with 127\.0\.0\.1:\d+ failed: AUTH requires TLS/)
      }
      assert.deepStrictEqual(server.auths, [], "the password never went out")
      const r = yield* client.send({
        host: "127.0.0.1",
        port: server.port,
        tls: TlsPolicy.none,
        auth: Auth.make("relay", "s3cret", { allowPlaintextAuth: true }),
        envelope: envelope(["a"]),
        message: message()
      })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.deepStrictEqual(server.auths, [{ method: "PLAIN", user: "relay", ok: true, secure: false }])
    }))

  it.live("a certificate that does not verify (a man-in-the-middle's): the password is not sent; allowUnverifiedPeer opts in", () =>
    Effect.gen(function*() {
      // The relay presents a self-signed certificate the client does not trust: what an attacker on the path would.
      const server = yield* AuthServer.make()
      const client = yield* SmtpClient.make(clientOptions())
      const e = yield* Effect.flip(client.send({ host: "127.0.0.1", port: server.port, tls: opportunistic, auth: relay, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(e.reason, "auth")
      assert.match(
        SmtpReply.toString(e.toReply()),
        /^451 4\.7\.0 authentication with 127\.0\.0\.1:\d+ failed: AUTH requires a verified certificate and 127\.0\.0\.1's does not verify \(DEPTH_ZERO_SELF_SIGNED_CERT\); the password was not sent/
      )
      assert.deepStrictEqual(server.auths, [], "no AUTH command reached the server")
      assert.deepStrictEqual(server.messages, [])
      const r = yield* client.send({
        host: "127.0.0.1",
        port: server.port,
        tls: opportunistic,
        auth: Auth.make("relay", "s3cret", { allowUnverifiedPeer: true }),
        envelope: envelope(["a"]),
        message: message()
      })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.deepStrictEqual(server.auths, [{ method: "PLAIN", user: "relay", ok: true, secure: true }])
    }))

  it.live("wrong password (535) and 454: ConnectError auth, deferred 451 4.7.0 by sendOrDefer; the password appears nowhere", () =>
    Effect.gen(function*() {
      const secret = "wr0ng-passw0rd"
      const wrong = Auth.make("relay", secret)
      for (const [options, code] of [[{}, "535"], [{ authReply: 454 }, "454"]] as const) {
        const server = yield* AuthServer.make(options)
        const client = yield* SmtpClient.make(clientOptions())
        const e = yield* Effect.flip(client.send({ host: "127.0.0.1", port: server.port, tls: trusted, auth: wrong, envelope: envelope(["a"]), message: message() }))
        assert.strictEqual(e.reason, "auth")
        assert.strictEqual(e.reply?.code, Number(code))
        const r = yield* client.sendOrDefer({ host: "127.0.0.1", port: server.port, tls: trusted, auth: wrong, envelope: envelope(["a", "b"]), message: message() })
        assert.deepStrictEqual(r.recipients.map((x) => [x._tag, x.stage, x.synthetic]), [["Deferred", "connect", true], ["Deferred", "connect", true]])
        const text = SmtpReply.toString(r.recipients[0]?.reply ?? SmtpReply.make(250, "2.0.0", ""))
        assert.match(text, new RegExp(`^451 4\\.7\\.0 authentication with 127\\.0\\.0\\.1:\\d+ failed: AUTH PLAIN as "relay" refused: ${code} `))
        for (const seen of [e.message, JSON.stringify(e), text, JSON.stringify(r), String(wrong.password), JSON.stringify(wrong)]) {
          assert.notInclude(seen, secret)
          assert.notInclude(seen, Buffer.from(`\u0000relay\u0000${secret}`).toString("base64"))
        }
        assert.isTrue(server.auths.every((a) => !a.ok))
        assert.strictEqual(server.messages.length, 0)
      }
      assert.strictEqual(Redacted.value(wrong.password), secret)
    }))

  it.live("credentials for a server that does not offer AUTH: ConnectError auth (nothing relayed unauthenticated)", () =>
    Effect.gen(function*() {
      const server = yield* RawServer.make()
      const client = yield* SmtpClient.make(clientOptions())
      const e = yield* Effect.flip(client.send({
        host: "127.0.0.1",
        port: server.port,
        auth: Auth.make("relay", "s3cret", { allowPlaintextAuth: true }),
        envelope: envelope(["a"]),
        message: message()
      }))
      assert.strictEqual(e.reason, "auth")
      assert.match(e.detail, /AUTH not offered/)
      assert.isFalse(server.lines.some((l) => l.startsWith("MAIL")))
    }))

  it.live("the pool separates connections by credentials: never reused for another user or without AUTH", () =>
    Effect.gen(function*() {
      const server = yield* AuthServer.make({ users: { alice: "pa", bob: "pb" } })
      const client = yield* SmtpClient.make(clientOptions())
      const alice = Auth.make("alice", "pa")
      const send = (auth: Auth.Credentials | undefined) =>
        client.send({ host: "127.0.0.1", port: server.port, tls: trusted, ...(auth !== undefined ? { auth } : {}), envelope: envelope(["a"]), message: message() })
      const first = yield* send(alice)
      const other = yield* send(Auth.make("bob", "pb"))
      const anonymous = yield* send(undefined)
      const again = yield* send(Auth.make("alice", "pa"))
      assert.deepStrictEqual([first, other, anonymous, again].map((r) => r.reusedConnection), [false, false, false, true])
      assert.deepStrictEqual([first, other, again].map((r) => r.recipients[0]?._tag), ["Delivered", "Delivered", "Delivered"])
      assert.strictEqual(anonymous.recipients[0]?.reply.code, 530, "the anonymous request did not ride an authenticated session")
      assert.strictEqual(server.connections(), 3)
      assert.deepStrictEqual(server.messages.map((m) => m.user), ["alice", "bob", "alice"])
      assert.deepStrictEqual(server.auths.map((a) => a.user), ["alice", "bob"], "the reused session was not authenticated again")
    }))
})
