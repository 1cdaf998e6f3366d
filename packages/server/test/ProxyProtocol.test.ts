/**
 * PROXY protocol v1/v2 on a listener behind a load balancer (issue 15 item 8), over real sockets: the header is
 * read before the banner, the real client's address then drives `Received:`, the relay decision and the
 * per-client limits; anything else (an untrusted peer, garbage, too many bytes, a slow header) is closed without
 * a banner. The balancer is 127.0.0.1; 127.0.0.2 is a peer that is not trusted.
 */
import { LocalDomains } from "@cartero/plugin-local-domains"
import { SmtpTestClient, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import { TestClock } from "effect/testing"
import fc from "fast-check"
import * as net from "node:net"
import { ProxyHeader, type ServerOptions, type SmtpServer } from "../src/index.ts"
import { acceptDomain, clientTls, recorder, tls, withServer } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")

const proxied: ServerOptions.SmtpServerOptions = {
  proxyProtocol: { listeners: ["mx"], trusted: ["127.0.0.1/32", "::1"], timeout: "300 millis" }
}

/** Bytes as a transcript `=>` line (every byte escaped). */
const raw = (bytes: Uint8Array): string =>
  `=> ${Array.from(bytes, (b) => `\\x${b.toString(16).padStart(2, "0")}`).join("")}`

const mxPort = (server: SmtpServer.SmtpServerShape) => server.address("mx")?.port ?? 0

const play = (port: number, script: string, localAddress = "127.0.0.1", host = "127.0.0.1") =>
  Transcript.run({ host, port, localAddress, timeout: "3 seconds" }, script)

const client = (address: string, port = 40000): ProxyHeader.Endpoint => ({ address, port })
const us: ProxyHeader.Endpoint = { address: "127.0.0.1", port: 25 }
const us6: ProxyHeader.Endpoint = { address: "::1", port: 25 }

/** A message from the session after the header; the caller checks what the server recorded. */
const message = S`
  <- 220 mx.test ESMTP
  -> EHLO client.test
  <~ 250
  -> MAIL FROM:<alice@sender.test>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<bob@example.test>
  <- 250 2.1.5 Accepted
  -> DATA
  <- 354 *
  -> Subject: hi
  ->
  -> hello
  -> .
  <- 250 2.6.0 *
  -> QUIT
  <- 221 *
`


describe("PROXY protocol: the real client", () => {
  it.live("v1 TCP4: the client address is in Received: and in the session", () => {
    const { messages, plugin } = recorder()
    return withServer([domain, plugin], proxied, (server) =>
      Effect.gen(function*() {
        yield* play(mxPort(server), `${raw(ProxyHeader.encodeV1(client("192.0.2.7"), us))}\n${message}`)
        assert.strictEqual(messages.length, 1)
        assert.strictEqual(messages[0]?.txn.connection.remoteAddress, "192.0.2.7")
        assert.strictEqual(messages[0]?.txn.connection.remotePort, 40000)
        assert.include(messages[0]?.message.prepend ?? "", "Received: from client.test (unknown [192.0.2.7])")
      }))
  })

  it.live("v1 TCP6 over an IPv6 balancer on ::1", () => {
    const { messages, plugin } = recorder()
    return withServer(
      [domain, plugin],
      { ...proxied, listeners: [{ kind: "mx", host: "::1", port: 0 }] },
      (server) =>
        Effect.gen(function*() {
          yield* play(mxPort(server), `${raw(ProxyHeader.encodeV1(client("2001:db8::5"), us6))}\n${message}`, "::1", "::1")
          assert.strictEqual(messages[0]?.txn.connection.remoteAddress, "2001:db8::5")
          assert.include(messages[0]?.message.prepend ?? "", "(unknown [IPv6:2001:db8::5])")
        })
    )
  })

  it.live("v1 UNKNOWN and v2 LOCAL keep the balancer's own address", () => {
    const { messages, plugin } = recorder()
    return withServer([domain, plugin], proxied, (server) =>
      Effect.gen(function*() {
        yield* play(mxPort(server), `=> PROXY UNKNOWN\\r\\n\n${message}`)
        yield* play(mxPort(server), `${raw(ProxyHeader.encodeV2())}\n${message}`)
        assert.deepStrictEqual(messages.map((m) => m.txn.connection.remoteAddress), ["127.0.0.1", "127.0.0.1"])
      }))
  })

  it.live("v2 PROXY with TLVs skipped, bytes after the header in the same packet kept for SMTP", () => {
    const { messages, plugin } = recorder()
    const tlvs = Uint8Array.from([0x01, 0x00, 0x02, 0x68, 0x32, 0x04, 0x00, 0x03, 0x61, 0x62, 0x63])
    const header = ProxyHeader.encodeV2(client("198.51.100.9", 1234), us, tlvs)
    return withServer([domain, plugin], proxied, (server) =>
      Effect.gen(function*() {
        // An EHLO in the header's packet is kept for the session, which then sees a client talking before the
        // banner (and says so): the bytes after the header are not lost.
        yield* play(mxPort(server), `${raw(header)}\\x45\\x48\\x4c\\x4f\\x20\\x63\\x0d\\x0a
          <- 421 mx.test You talk too soon`)
        yield* play(mxPort(server), `${raw(ProxyHeader.encodeV2(client("2001:db8:1::2"), us6))}\n${message}`)
        assert.strictEqual(messages[0]?.txn.connection.remoteAddress, "2001:db8:1::2")
      }))
  })

  it.live("smtps: the header comes before the TLS handshake; the session then sees the real client", () =>
    withServer(
      [domain],
      {
        tls,
        listeners: [{ kind: "smtps", host: "127.0.0.1", port: 0 }],
        proxyProtocol: { listeners: ["smtps"], trusted: ["127.0.0.1"] }
      },
      (server) =>
        Transcript.run(
          { host: "127.0.0.1", port: server.address("smtps")?.port ?? 0, tls: clientTls, timeout: "3 seconds" },
          S`
          => PROXY TCP4 192.0.2.99 127.0.0.1 5000 465\r\n
          ** tls
          <- 220 mx.test ESMTP
          -> EHLO client.test
          <* 250-mx.test Hello [192.0.2.99]
          -> QUIT
          <- 221 *`
        )
    ))

  it.live("a header split across TCP packets", () => {
    const { messages, plugin } = recorder()
    const v2 = ProxyHeader.encodeV2(client("203.0.113.4"), us)
    return withServer([domain, plugin], proxied, (server) =>
      Effect.gen(function*() {
        yield* play(mxPort(server), S`
          => PROXY TCP4 203.0
          ** sleep 30
          => .113.3 127.0.0.1 4000 25\r
          ** sleep 30
          => \n
          ${message}`)
        yield* play(mxPort(server), `${raw(v2.subarray(0, 5))}\n** sleep 30\n${raw(v2.subarray(5, 14))}\n** sleep 30\n${raw(v2.subarray(14))}\n${message}`)
        assert.deepStrictEqual(messages.map((m) => m.txn.connection.remoteAddress), ["203.0.113.3", "203.0.113.4"])
      }))
  })
})

describe("PROXY protocol: refused", () => {
  const closedWithoutBanner = (script: string, localAddress = "127.0.0.1") =>
    withServer([domain], proxied, (server) =>
      Effect.gen(function*() {
        yield* play(mxPort(server), `${script}\n<< closed`, localAddress)
        // and the listener still serves
        yield* play(mxPort(server), `=> PROXY UNKNOWN\\r\\n\n<- 220 *\n-> QUIT\n<- 221 *`)
      }))

  it.live("an untrusted peer is closed before anything is sent, even with a valid header", () =>
    closedWithoutBanner(raw(ProxyHeader.encodeV1(client("192.0.2.1"), us)), "127.0.0.2"))
  it.live("an untrusted peer that sends nothing is closed at once", () => closedWithoutBanner("", "127.0.0.2"))
  it.live("a plain SMTP client (no header) from the balancer is closed", () => closedWithoutBanner("-> EHLO client.test"))
  it.live("garbage", () => closedWithoutBanner(S`=> \x00\x01\x02GET / HTTP/1.0\r\n\r\n`))
  it.live("v1 with a host name instead of an address", () => closedWithoutBanner(S`=> PROXY TCP4 evil.test 127.0.0.1 1 25\r\n`))
  it.live("v1 with the wrong family", () => closedWithoutBanner(S`=> PROXY TCP4 ::1 127.0.0.1 1 25\r\n`))
  it.live("v1 longer than 107 bytes", () => closedWithoutBanner(`=> PROXY TCP4 ${"1".repeat(120)}`))
  it.live("v2 announcing more than the cap", () =>
    closedWithoutBanner(raw(Uint8Array.from([...ProxyHeader.v2Signature, 0x21, 0x11, 0xff, 0xff]))))
  it.live("v2 version 1 in the version nibble", () =>
    closedWithoutBanner(raw(Uint8Array.from([...ProxyHeader.v2Signature, 0x11, 0x11, 0x00, 0x0c]))))
  it.live("a slow header: closed after the configured timeout", () =>
    withServer([domain], proxied, (server) =>
      Effect.gen(function*() {
        const started = Date.now()
        yield* play(mxPort(server), S`
          => PROXY TCP4
          << closed`)
        const waited = Date.now() - started
        assert.isAtLeast(waited, 250)
        assert.isBelow(waited, 2500)
      })))
})

describe("PROXY protocol: the header timeout on the Effect clock", () => {
  /** Real time for the loopback I/O to happen (not a timeout under test: the server's timeout is on TestClock). */
  const io = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 60)))

  it.effect("a balancer that sends half a header is closed when the default 5 s have passed, not before", () =>
    withServer([domain], { proxyProtocol: { listeners: ["mx"], trusted: ["127.0.0.1"] } }, (server) =>
      Effect.gen(function*() {
        const socket = net.connect({ host: "127.0.0.1", port: mxPort(server) })
        socket.on("error", () => undefined)
        let closed = false
        const ended = new Promise<void>((resolve) => socket.on("close", () => resolve()))
        void ended.then(() => (closed = true))
        socket.write("PROXY TCP4 192.0.2.1")
        yield* io
        yield* TestClock.adjust("4900 millis")
        yield* io
        assert.isFalse(closed, "closed before the timeout")
        yield* TestClock.adjust("200 millis")
        yield* Effect.promise(() => Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000))]))
        assert.isTrue(closed, "not closed after the timeout")
        // The server's graceful close polls on the same clock: keep it moving until the server is closed.
        return yield* Effect.forkDetach(Effect.forever(io.pipe(Effect.andThen(TestClock.adjust("1 second")))))
      })).pipe(Effect.flatMap(Fiber.interrupt)))
})

describe("PROXY protocol: relay rules and limits follow the real client", () => {
  const relay = LocalDomains.plugin({ domains: ["example.test"], trustedNetworks: ["10.0.0.0/8"], hostname: "mx.test" })
  const relayTo = (header: Uint8Array) => S`
    ${raw(header)}
    <- 220 mx.test ESMTP
    -> EHLO client.test
    <~ 250
    -> MAIL FROM:<alice@sender.test>
    <- 250 2.1.0 Accepted
    -> RCPT TO:<someone@elsewhere.test>`

  it.live("a client in the trusted networks may relay only when the header says it is one", () =>
    withServer([relay as never], { ...proxied }, (server) =>
      Effect.gen(function*() {
        yield* play(mxPort(server), `${relayTo(ProxyHeader.encodeV1(client("10.1.2.3"), us))}\n<- 250 2.1.5 *`)
        yield* play(mxPort(server), `${relayTo(ProxyHeader.encodeV1(client("192.0.2.50"), us))}\n<- 550 5.7.1 Relaying denied`)
      })))

  it.live("per-client connection limits count the real client, not the balancer", () =>
    withServer([domain], { ...proxied, maxClientsPerIp: 1 }, (server) =>
      Effect.scoped(Effect.gen(function*() {
        const port = mxPort(server)
        const held = yield* SmtpTestClient.connect({ host: "127.0.0.1", port, timeout: "3 seconds" })
        yield* held.sendRaw(ProxyHeader.encodeV1(client("192.0.2.10"), us))
        assert.strictEqual((yield* held.readReply()).reply.code, 220)
        // Same client again through the same balancer: refused; another client through it: served.
        yield* play(port, `${raw(ProxyHeader.encodeV1(client("192.0.2.10"), us))}\n<- 421 4.7.0 Error: too many connections from 192.0.2.10\n<< closed`)
        yield* play(port, `${raw(ProxyHeader.encodeV1(client("192.0.2.11"), us))}\n<- 220 *\n-> QUIT\n<- 221 *`)
      }))))
})

/** Sends `bytes` and waits for the server to close: what it wrote, or an error if it did not close within `millis`. */
const sendAndWaitClose = (port: number, bytes: Uint8Array, millis: number) =>
  new Promise<string>((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    const received: Array<Buffer> = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`not closed within ${millis} ms after ${JSON.stringify(Buffer.from(bytes).toString("latin1"))}`))
    }, millis)
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk)
      // A valid header by chance: the session started; end it ourselves.
      if (Buffer.concat(received).toString("latin1").includes("\r\n")) socket.end("QUIT\r\n")
    })
    socket.on("error", () => undefined)
    socket.on("close", () => {
      clearTimeout(timer)
      resolve(Buffer.concat(received).toString("latin1"))
    })
    socket.write(bytes)
  })

describe("PROXY protocol: fuzzed on the wire", () => {
  it.live("random bytes (raw, after the v1 prefix, after the v2 signature) are closed in time; the listener still serves", () =>
    withServer([domain], { proxyProtocol: { ...proxied.proxyProtocol, listeners: ["mx"], trusted: ["127.0.0.1"], timeout: "100 millis" } }, (server) =>
      Effect.gen(function*() {
        const port = mxPort(server)
        const payload = fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 400 }),
          fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([...Buffer.from("PROXY "), ...b])),
          fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([...ProxyHeader.v2Signature, ...b]))
        )
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(payload, async (bytes) => {
              const answer = await sendAndWaitClose(port, bytes, 2000)
              if (answer !== "" && !answer.startsWith("220 ") && !answer.startsWith("421 ")) throw new Error(`unexpected ${answer}`)
            }),
            { numRuns: 40 }
          )
        )
        yield* play(port, S`
          => PROXY TCP4 192.0.2.1 127.0.0.1 1 25\r\n
          <- 220 *
          -> QUIT
          <- 221 *`)
      })), 30_000)
})
