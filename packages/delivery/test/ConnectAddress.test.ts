import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { SmtpSink, TestTls } from "@cartero/testing"
import { Effect } from "effect"
import * as SmtpClient from "../src/SmtpClient.ts"
import * as TlsPolicy from "../src/TlsPolicy.ts"
import { clientOptions, envelope, freePort, message } from "./support/fixtures.ts"

const starttls = { key: TestTls.key, cert: TestTls.cert }

describe("SmtpClient: connect to an address, keep the name", () => {
  it.live("host is the name (Remote, SNI, certificate check), address is where the connection goes", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ starttls })
      const client = yield* SmtpClient.make(clientOptions())
      // No servername in the policy: the certificate (SAN localhost, mx.test) is verified against `host`.
      const verified = TlsPolicy.required({ verify: true, ca: TestTls.cert })
      const r = yield* client.send({ host: "mx.test", address: "127.0.0.1", port: sink.port, tls: verified, envelope: envelope(["a"]), message: message() })
      assert.strictEqual(r.recipients[0]?._tag, "Delivered")
      assert.deepStrictEqual([r.remote.host, r.remote.address, r.remote.port], ["mx.test", "127.0.0.1", sink.port])
      assert.isTrue(r.remote.tls?.authorized)

      const e = yield* Effect.flip(client.send({ host: "other.test", address: "127.0.0.1", port: sink.port, tls: verified, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(e.reason, "tls")
      assert.match(e.detail, /certificate not verified/, "checked against other.test, which the certificate does not name")
      assert.deepStrictEqual([e.host, e.address], ["other.test", "127.0.0.1"])
    }))

  it.live("a refused address: the ConnectError names host and address", () =>
    Effect.gen(function*() {
      const port = yield* freePort
      const client = yield* SmtpClient.make(clientOptions())
      const e = yield* Effect.flip(client.send({ host: "mx1.dest.test", address: "127.0.0.1", port, envelope: envelope(["a"]), message: message() }))
      assert.strictEqual(e.reason, "refused")
      assert.strictEqual(SmtpReply.toString(e.toReply()), `451 4.4.1 connection refused by mx1.dest.test[127.0.0.1]:${port}`)
    }))

  it.live("pool: two names on one address share a plaintext connection, each result names its own host; under TLS they do not", () =>
    Effect.gen(function*() {
      const sink = yield* SmtpSink.make({ starttls })
      const client = yield* SmtpClient.make(clientOptions())
      const send = (host: string, tls: TlsPolicy.TlsPolicy) =>
        client.send({ host, address: "127.0.0.1", port: sink.port, tls, envelope: envelope(["a"]), message: message() })
      const a = yield* send("mx1.dest.test", TlsPolicy.none)
      const b = yield* send("mx2.dest.test", TlsPolicy.none)
      assert.deepStrictEqual([a.remote.host, b.remote.host], ["mx1.dest.test", "mx2.dest.test"])
      assert.isTrue(b.reusedConnection)
      assert.strictEqual(yield* sink.connections, 1)
      const c = yield* send("mx1.dest.test", TlsPolicy.opportunistic)
      const d = yield* send("mx2.dest.test", TlsPolicy.opportunistic)
      assert.deepStrictEqual([c.reusedConnection, d.reusedConnection], [false, false])
      assert.deepStrictEqual([c.remote.host, d.remote.host], ["mx1.dest.test", "mx2.dest.test"])
      assert.strictEqual(yield* sink.connections, 3)
    }))
})
