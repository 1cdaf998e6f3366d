/**
 * The connection and session limits on the wire (issue 12): per-client and total connection counts, the
 * connection rate, the error limits of a harvesting session, the DATA and lifetime bounds, AUTH failures per client
 * across sessions. Other clients are other loopback addresses (127.0.0.2 is a different client from 127.0.0.1).
 */
import { Verdict } from "@cartero/smtp"
import { SmtpTestClient, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Layer, Logger, References, Schedule } from "effect"
import { Pipeline } from "@cartero/core"
import { ServerOptions, SmtpServer } from "../src/index.ts"
import { acceptDomain, ehlo, envelope, hooks, recorder, storeWith, withServer } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")

/** A connection that got its banner and stays open until the scope closes. */
const hold = (port: number, localAddress = "127.0.0.1") =>
  Effect.gen(function*() {
    const client = yield* SmtpTestClient.connect({ host: "127.0.0.1", port, localAddress, timeout: "3 seconds" })
    const banner = yield* client.readReply()
    assert.strictEqual(banner.reply.code, 220)
    return client
  })

const play = (port: number, script: string, localAddress = "127.0.0.1", host = "127.0.0.1") =>
  Transcript.run({ host, port, localAddress, timeout: "3 seconds" }, script)

const mxPort = (server: SmtpServer.SmtpServerShape) => server.address("mx")?.port ?? 0

describe("connections per client", () => {
  it.live("the n+1-th connection from one address gets 421 4.7.0 before the banner; another address still gets in", () =>
    withServer([domain], { maxClientsPerIp: 2 }, (server) =>
      Effect.scoped(Effect.gen(function*() {
        const port = mxPort(server)
        yield* hold(port)
        yield* hold(port)
        yield* play(port, S`
          <- 421 4.7.0 Error: too many connections from 127.0.0.1
          << closed
        `)
        yield* play(port, S`
          <- 220 mx.test ESMTP
          -> QUIT
          <- 221 2.0.0 Bye
        `, "127.0.0.2")
      }))))

  it.live("a closed connection frees its slot", () =>
    withServer([domain], { maxClientsPerIp: 1 }, (server) =>
      Effect.gen(function*() {
        const port = mxPort(server)
        yield* Effect.scoped(hold(port))
        // the slot is released when the server sees the socket close: a new connection gets in soon after
        yield* play(port, S`
          <- 220 *
          -> QUIT
          <- 221 *
        `).pipe(Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.upTo({ times: 40 }))))
      })))

  it.live("IPv6 clients are counted per /64: a second connection from ::1 is refused", () =>
    withServer([domain], { maxClientsPerIp: 1, listeners: [{ kind: "mx", host: "::1", port: 0 }] }, (server) =>
      Effect.scoped(Effect.gen(function*() {
        const port = mxPort(server)
        const first = yield* SmtpTestClient.connect({ host: "::1", port, timeout: "3 seconds" })
        assert.strictEqual((yield* first.readReply()).reply.code, 220)
        yield* play(port, S`
          <- 421 4.7.0 Error: too many connections from ::1
          << closed
        `, "::1", "::1")
      }))))
})

describe("connections in total", () => {
  it.live("beyond maxClients every client gets 421 4.7.0", () =>
    withServer([domain], { maxClients: 2 }, (server) =>
      Effect.scoped(Effect.gen(function*() {
        const port = mxPort(server)
        yield* hold(port, "127.0.0.2")
        yield* hold(port, "127.0.0.3")
        yield* play(port, S`
          <- 421 4.7.0 Error: too many connections, try again later
          << closed
        `, "127.0.0.4")
      }))))
})

describe("connection rate", () => {
  it.live("the connection over the per-minute rate gets 421 4.7.0; another address still gets in", () =>
    withServer([domain], { maxConnectionRate: 3 }, (server) =>
      Effect.gen(function*() {
        const port = mxPort(server)
        for (let i = 0; i < 3; i++) {
          yield* play(port, S`
            <- 220 *
            -> QUIT
            <- 221 *
          `)
        }
        yield* play(port, S`
          <- 421 4.7.0 Error: too many connections from 127.0.0.1 in the last minute, try again later
          << closed
        `)
        yield* play(port, S`
          <- 220 *
          -> QUIT
          <- 221 *
        `, "127.0.0.2")
      })))
})

describe("errors per session", () => {
  const harvest = (n: number) => Array.from({ length: n }, (_, i) => `RCPT TO:<user${i}@elsewhere.test>`)

  it.live("a harvesting client is slowed after the soft limit and dropped with 421 4.7.0 at the hard limit", () =>
    withServer([domain], { softErrorLimit: 3, hardErrorLimit: 6, errorSleep: "300 millis" }, (server) =>
      Effect.scoped(Effect.gen(function*() {
        const client = yield* hold(mxPort(server))
        yield* client.command("EHLO client.test")
        yield* client.command("MAIL FROM:<alice@sender.test>")
        const elapsed: Array<number> = []
        for (const line of harvest(6)) {
          const start = yield* Clock.currentTimeMillis
          const reply = yield* client.command(line)
          elapsed.push((yield* Clock.currentTimeMillis) - start)
          assert.deepStrictEqual(reply.lines, ["550 5.7.1 Relaying denied"])
        }
        // the 4th error and after (the soft limit is 3) are answered after the error sleep
        for (const ms of elapsed.slice(3)) assert.isAtLeast(ms, 250)
        const drop = yield* client.readReply()
        assert.deepStrictEqual(drop.lines, ["421 4.7.0 Error: too many errors, closing connection"])
        yield* client.expectClose()
      }))))

  it.live("200 refused recipients no longer keep a session open: dropped at the default hard limit of 20", () =>
    withServer([domain], {}, (server) =>
      Effect.scoped(Effect.gen(function*() {
        const client = yield* hold(mxPort(server))
        yield* client.command("EHLO client.test")
        yield* client.command("MAIL FROM:<alice@sender.test>")
        yield* client.sendRaw(harvest(200).map((l) => `${l}\r\n`).join(""))
        for (let i = 0; i < 20; i++) assert.strictEqual((yield* client.readReply()).reply.code, 550)
        assert.deepStrictEqual((yield* client.readReply()).lines, ["421 4.7.0 Error: too many errors, closing connection"])
        yield* client.expectClose()
      }))))

  it.live("malformed MAIL commands count: the 20th gets its 501, then 421 4.7.0", () =>
    withServer([domain], {}, (server) =>
      play(mxPort(server), S`
        ${ehlo}
        ${Array.from({ length: 19 }, () => "-> MAIL FROM:<not an address>\n<~ 501").join("\n")}
        -> MAIL FROM:bad
        <~ 501
        <- 421 4.7.0 Error: too many errors, closing connection
        << closed
      `)))

  it.live("unknown commands are errors of the same count (no longer smtp-server's own limit of 10)", () =>
    withServer([domain], { hardErrorLimit: 12 }, (server) =>
      play(mxPort(server), S`
        <- 220 *
        ${Array.from({ length: 11 }, () => "-> FOO\n<- 500 5.5.2 Error: command not recognized").join("\n")}
        -> FOO
        <- 500 5.5.2 Error: command not recognized
        <- 421 4.7.0 Error: too many errors, closing connection
        << closed
      `)))

  it.live("junk commands are free up to the junk limit, then count as errors", () =>
    withServer([domain], { junkCommandLimit: 3, hardErrorLimit: 2 }, (server) =>
      play(mxPort(server), S`
        ${ehlo}
        -> NOOP
        <~ 250
        -> RSET
        <~ 250
        -> NOOP
        <~ 250
        -> NOOP
        <~ 250
        -> NOOP
        <- 421 4.7.0 Error: too many errors, closing connection
        << closed
      `)))

  it.live("a delivered message starts the counts over", () => {
    const rec = recorder()
    return withServer([domain, rec.plugin], { hardErrorLimit: 3 }, (server) =>
      play(mxPort(server), S`
        ${ehlo}
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<x@elsewhere.test>
        <- 550 5.7.1 Relaying denied
        -> RCPT TO:<y@elsewhere.test>
        <- 550 5.7.1 Relaying denied
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        => hi\r\n.\r\n
        <~ 250 2.6.0
        -> MAIL FROM:<alice@sender.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<x@elsewhere.test>
        <- 550 5.7.1 Relaying denied
        -> RCPT TO:<y@elsewhere.test>
        <- 550 5.7.1 Relaying denied
        -> RCPT TO:<z@elsewhere.test>
        <- 550 5.7.1 Relaying denied
        <- 421 4.7.0 Error: too many errors, closing connection
        << closed
      `))
  })
})

describe("time bounds", () => {
  it.live("a client that trickles its message gets 421 4.4.2 once DATA took longer than dataTimeout", () =>
    withServer([domain], { dataTimeout: "1500 millis", socketTimeout: "5 seconds" }, (server) =>
      play(mxPort(server), S`
        ${ehlo}
        ${envelope}
        => Subject: slow\r\n
        ** sleep 400
        => \r\n
        ** sleep 400
        => a
        <- 421 4.4.2 Error: timeout exceeded while receiving the message, closing connection
        << closed
      `)))

  it.live("a session past sessionTimeout gets 421 4.4.2, however busy it keeps", () =>
    withServer([domain], { sessionTimeout: "1500 millis" }, (server) =>
      play(mxPort(server), S`
        ${ehlo}
        -> NOOP
        <~ 250
        ** sleep 400
        -> NOOP
        <~ 250
        ** sleep 400
        -> NOOP
        <~ 250
        <- 421 4.4.2 Error: session time limit exceeded, closing connection
        << closed
      `)))

  it.live("the lifetime bound never cuts a reply the server owes: the message is answered, then 421", () => {
    // The store answers only once the session is past its lifetime (1 s from the connect, plus a margin).
    let connected = 0
    const slowStore = storeWith("slow-store", () =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        yield* Effect.sleep(Math.max(0, connected + 1400 - now))
        return Verdict.accept()
      }))
    return withServer([domain, slowStore], { sessionTimeout: "1 second" }, (server) =>
      Effect.gen(function*() {
        connected = yield* Clock.currentTimeMillis
        return yield* play(mxPort(server), S`
        ${ehlo}
        ${envelope}
        => hi\r\n.\r\n
        <~ 250 2.6.0
        <- 421 4.4.2 Error: session time limit exceeded, closing connection
        << closed
      `)
      }))
  })
})

describe("AUTH failures per client", () => {
  const refuseAll = hooks("refuse-auth", { auth: () => Effect.succeed(Verdict.next) })
  const submission = {
    listeners: [{ kind: "submission" as const, host: "127.0.0.1", port: 0, trusted: true }],
    authFailureLimit: 3,
    maxAuthFailures: 10
  }
  const plain = (user: string) => `AUTH PLAIN ${Buffer.from(`\u0000${user}\u0000wrong`).toString("base64")}`

  it.live("are counted across sessions: beyond the limit AUTH gets 454 4.7.0 without a check; another address still may try", () => {
    let checks = 0
    const counting = hooks("count-auth", { auth: () => Effect.sync(() => void checks++).pipe(Effect.as(Verdict.next)) })
    return withServer([counting, refuseAll], submission, (server) =>
      Effect.gen(function*() {
        const port = server.address("submission")?.port ?? 0
        yield* play(port, S`
          ${ehlo}
          -> ${plain("a")}
          <- 535 5.7.8 Authentication credentials invalid
          -> ${plain("b")}
          <- 535 5.7.8 Authentication credentials invalid
        `)
        yield* play(port, S`
          ${ehlo}
          -> ${plain("c")}
          <- 535 5.7.8 Authentication credentials invalid
          -> ${plain("d")}
          <- 454 4.7.0 Too many failed authentication attempts, try again later
        `)
        yield* play(port, S`
          ${ehlo}
          -> ${plain("e")}
          <- 454 4.7.0 Too many failed authentication attempts, try again later
        `)
        assert.strictEqual(checks, 3)
        yield* play(port, S`
          ${ehlo}
          -> ${plain("f")}
          <- 535 5.7.8 Authentication credentials invalid
        `, "127.0.0.2")
      }))
  })
})

describe("start-up", () => {
  it.live("logs every limit and its value at debug level", () => {
    const lines: Array<{ message: string; annotations: Record<string, unknown> }> = []
    const capture = Logger.make<unknown, void>((options) => {
      lines.push({
        message: String(Array.isArray(options.message) ? options.message[0] : options.message),
        annotations: options.fiber.getRef(References.CurrentLogAnnotations)
      })
    })
    return Effect.gen(function*() {
      yield* SmtpServer.SmtpServer
    }).pipe(
      Effect.provide(SmtpServer.SmtpServer.layer({ hostname: "mx.test", listeners: [{ kind: "mx", port: 0 }] }).pipe(
        Layer.provide(Pipeline.Pipeline.layer([]))
      )),
      Effect.provide(Logger.layer([capture])),
      Effect.provideService(References.MinimumLogLevel, "Debug"),
      Effect.tap(() =>
        Effect.sync(() => {
          const line = lines.find((l) => l.message === "server limits")
          assert.isDefined(line)
          // every limit, with the values ServerConfig.test pins as the defaults
          const expected = ServerOptions.describeLimits(ServerOptions.resolve({}))
          assert.deepInclude(line?.annotations, expected)
          assert.includeMembers(Object.keys(expected), [
            "maxClients",
            "maxClientsPerIp",
            "maxConnectionRate",
            "softErrorLimit",
            "hardErrorLimit",
            "errorSleep",
            "dataTimeout",
            "sessionTimeout",
            "authFailureLimit"
          ])
        })
      )
    )
  })
})
