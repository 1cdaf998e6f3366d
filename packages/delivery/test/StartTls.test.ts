import { assert, describe, it } from "@effect/vitest"
import { SmtpSink, TestTls } from "@cartero/testing"
import { Effect } from "effect"
import * as SmtpClient from "../src/SmtpClient.ts"
import * as TlsPolicy from "../src/TlsPolicy.ts"
import { clientOptions, envelope, message } from "./support/fixtures.ts"
import * as RawServer from "./support/RawServer.ts"

const starttls = { key: TestTls.key, cert: TestTls.cert }

describe("SmtpClient: STARTTLS", () => {
  it.live("self-signed certificate, verification off: upgrades, re-EHLOs, delivers over TLS", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ starttls })
      const client = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.make("required", { verify: false }) }))
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.isDefined(r.remote.tls)
      assert.isFalse(r.remote.tls?.authorized)
      assert.match(r.remote.tls?.protocol ?? "", /^TLSv1\.[23]$/)
      const [m] = yield* sink.awaitMessages(1)
      assert.isTrue(m?.tls)
      const commands = yield* sink.commands
      assert.deepStrictEqual(commands.slice(0, 3), ["EHLO client.test", "STARTTLS", "EHLO client.test"])
    }))

  it.live("required + verification on, self-signed: ConnectError tls, nothing sent in the clear", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ starttls })
      const client = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.required() }))
      const e = yield* Effect.flip(client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(e.reason, "tls")
      assert.match(e.detail, /certificate not verified/)
      assert.strictEqual(e.toReply().enhanced, "4.7.5")
      assert.isFalse((yield* sink.commands).some((c) => c.startsWith("MAIL")))
    }))

  it.live("required + verification on with the certificate as trust anchor: verified, delivered", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ starttls })
      const client = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.required({ verify: true, ca: TestTls.cert, servername: "localhost" }) }))
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.isTrue(r.remote.tls?.authorized)
    }))

  it.live("opportunistic + verification on, self-signed: stays encrypted, records authorized=false, delivers", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ starttls })
      const client = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.make("opportunistic", { verify: true }) }))
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.isFalse(r.remote.tls?.authorized)
      assert.isDefined(r.remote.tls?.authorizationError)
      assert.isTrue((yield* sink.awaitMessages(1))[0]?.tls)
    }))

  it.live("required but not offered: ConnectError tls 4.7.4; opportunistic: plaintext", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make()
      const required = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.required() }))
      const e = yield* Effect.flip(required.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(e.reason, "tls")
      assert.strictEqual(e.toReply().enhanced, "4.7.4")
      const opportunistic = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.opportunistic }))
      const r = yield* opportunistic.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.isUndefined(r.remote.tls)
    }))

  it.live("STARTTLS injection: plaintext appended to the 220 is discarded, the TLS EHLO reply is the real one", () =>
    Effect.gen(function*() {
      // Were the injected lines kept, the client would read `554` as its post-TLS EHLO reply (and fall back to HELO)
      // and every later reply would be off by one.
      const server = yield* RawServer.make({
        pipelining: true,
        tls: starttls,
        injectAfterStartTls: "554 5.7.0 injected reply\r\n250 2.0.0 injected ok\r\n"
      })
      const client = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.make("required", { verify: false }) }))
      const r = yield* client.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["a", "b"]), message: message() })
      assert.deepStrictEqual(r.recipients.map((x) => x._tag), ["Delivered", "Delivered"])
      assert.isDefined(r.remote.tls)
      assert.deepStrictEqual(server.lines.slice(0, 3), ["EHLO client.test", "STARTTLS", "[tls] EHLO client.test"])
      assert.isFalse(server.lines.some((l) => l.includes("HELO ")))
      assert.strictEqual(server.messages.length, 1)
    }))

  it.live("opportunistic: a broken handshake falls back to a fresh plaintext connection", () =>
    Effect.gen(function*() {
      const server = yield* RawServer.make({ tls: starttls, breakTls: true })
      const client = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.opportunistic }))
      const r = yield* client.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["a"]), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.isUndefined(r.remote.tls)
      assert.strictEqual(server.chunks.length, 2, "second connection")
      const required = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.make("required", { verify: false }) }))
      const e = yield* Effect.flip(required.send({ host: "127.0.0.1", port: server.port, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(e.reason, "tls")
    }))
})

describe("SmtpClient: REQUIRETLS", () => {
  it.live("a REQUIRETLS message to a server without verified TLS + REQUIRETLS fails 5.7.30, nothing sent", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ starttls })
      const client = yield* SmtpClient.make(clientOptions({ tls: TlsPolicy.make("opportunistic", { verify: false }) }))
      const r = yield* client.send({ host: "127.0.0.1", port: sink.port, envelope: envelope(["a"], { requireTls: true }), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Failed")
      assert.strictEqual(r.recipients[0]?.reply.enhanced, "5.7.30")
      assert.isFalse((yield* sink.commands).some((c) => c.startsWith("MAIL")))
    }))
})
