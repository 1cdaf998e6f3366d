/** The inbound metrics (ServerMetrics) move with what happens on the wire; each test has a registry of its own. */
import { PluginMetrics } from "@cartero/core"
import { Verdict } from "@cartero/smtp"
import { SmtpTestClient, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import * as net from "node:net"
import { ServerMetrics } from "../src/index.ts"
import { acceptDomain, ehlo, envelope, hooks, play, recorder, tls, withServer } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")

const histogramOf = (metric: Metric.Metric<number, unknown>) =>
  Effect.map(Metric.value(metric), (state) => state as unknown as { readonly count: number; readonly sum: number })

const count = (metric: Metric.Metric<never, unknown>) =>
  Effect.map(Metric.value(metric), (state) =>
    typeof state === "object" && state !== null && "count" in state ? Number(state.count) : typeof state === "object" && state !== null && "value" in state ? Number(state.value) : Number.NaN)

/** Runs `f` with a fresh metric registry (the server captures it when it starts). */
const isolated = <A, E>(f: Effect.Effect<A, E>) => Effect.provideService(f, Metric.MetricRegistry, new Map())

describe("ServerMetrics", () => {
  it.live("every metric is there at zero once the server started", () =>
    isolated(withServer([domain], {}, () =>
      Effect.gen(function*() {
        const snapshot = yield* Metric.snapshot
        const ids = new Set(snapshot.map((s) => s.id))
        for (const id of ["cartero_smtp_connections_open", "cartero_smtp_connections_total", "cartero_smtp_connections_refused_total", "cartero_smtp_replies_total", "cartero_smtp_messages_accepted_total", "cartero_smtp_messages_refused_total", "cartero_smtp_message_size_bytes"]) {
          assert.isTrue(ids.has(id), id)
        }
        assert.strictEqual(yield* count(ServerMetrics.connectionsTotal), 0)
      }))))

  it.live("connections open, admitted and refused by the per-client limit", () =>
    isolated(withServer([domain], { maxClientsPerIp: 1 }, (server) =>
      Effect.scoped(Effect.gen(function*() {
        const port = server.address("mx")?.port ?? 0
        const first = yield* SmtpTestClient.connect({ host: "127.0.0.1", port, timeout: "3 seconds" })
        assert.strictEqual((yield* first.readReply()).reply.code, 220)
        yield* Transcript.run({ host: "127.0.0.1", port, timeout: "3 seconds" }, S`
          <- 421 4.7.0 Error: too many connections from 127.0.0.1
          << closed
        `)
        assert.strictEqual(yield* count(ServerMetrics.connectionsTotal), 1)
        assert.strictEqual(yield* count(ServerMetrics.connectionsOpen), 1)
        assert.strictEqual(yield* count(ServerMetrics.connectionsRefused.TooManyFromClient), 1)
        assert.strictEqual(yield* count(ServerMetrics.connectionsRefused.TooManyClients), 0)
      })))))

  it.live("messages accepted (with their size) and refused; replies by class", () => {
    const store = recorder()
    return isolated(withServer([domain, store.plugin], { maxMessageSize: 1000 }, (server) =>
      Effect.gen(function*() {
        const port = server.address("mx")?.port ?? 0
        yield* Transcript.run({ host: "127.0.0.1", port, timeout: "3 seconds" }, S`
          ${ehlo}
          ${envelope}
          -> Subject: small
          ->
          -> hello
          -> .
          <- 250 *
          -> MAIL FROM:<alice@sender.test>
          <- 250 *
          -> RCPT TO:<bob@example.test>
          <- 250 *
          -> DATA
          <- 354 *
          -> Subject: big
          ->
          -> ${"x".repeat(1200)}
          -> .
          <- 552 *
          -> RCPT TO:<nobody@elsewhere.test>
          <- 503 *
          -> QUIT
          <- 221 *
        `)
        assert.strictEqual(yield* count(ServerMetrics.messagesAccepted), 1)
        assert.strictEqual(yield* count(ServerMetrics.messagesRefused), 1)
        assert.strictEqual(yield* count(ServerMetrics.messageSize), 1)
        const replies = yield* Effect.forEach(ServerMetrics.replies, count)
        // 220, EHLO, MAIL, RCPT, 250 queued, MAIL, RCPT, 221 | 354 twice | 552, 503
        assert.deepStrictEqual(replies, [0, 8, 2, 0, 2])
      })))
  })

  it.live("commands by verb: known verbs by name in any case, anything else as other", () =>
    isolated(withServer([domain, recorder().plugin], {}, (server) =>
      Effect.gen(function*() {
        yield* play(server, S`
          ${ehlo}
          ${envelope}
          -> hi
          -> .
          <- 250 *
          -> noop
          <- 250 *
          -> Rset
          <- 250 *
          -> XYZZY plugh
          <- 500 *
          -> STARTTLSX
          <- 500 *
          -> QUIT
          <- 221 *
        `)
        const by = (verb: string) => count(ServerMetrics.commands.get(verb) ?? Metric.counter("missing"))
        const got = Object.fromEntries(yield* Effect.forEach(["EHLO", "MAIL", "RCPT", "DATA", "NOOP", "RSET", "QUIT", "other", "HELO", "STARTTLS"], (v) => Effect.map(by(v), (n) => [v, n] as const)))
        assert.deepStrictEqual(got, { EHLO: 1, MAIL: 1, RCPT: 1, DATA: 1, NOOP: 1, RSET: 1, QUIT: 1, other: 2, HELO: 0, STARTTLS: 0 })
        // The message's lines are not commands.
        const total = (yield* Metric.snapshot).filter((m) => m.id === "cartero_smtp_commands_total")
          .reduce((n, m) => n + Number((m.state as { readonly count: number }).count), 0)
        assert.strictEqual(total, 9)
      }))))

  it("commandOf reads the verb from the bytes", () => {
    const of = (line: string) => ServerMetrics.commandOf(Buffer.from(line))
    assert.strictEqual(of("mail FROM:<a@b>"), ServerMetrics.commands.get("MAIL"))
    assert.strictEqual(of("STARTTLS"), ServerMetrics.commands.get("STARTTLS"))
    for (const line of ["", " EHLO x", "EHLO1", "STARTTLSS", "\u00e9HLO", "MAI", "DATA\r"]) {
      assert.strictEqual(of(line), ServerMetrics.commands.get("other"), JSON.stringify(line))
    }
  })

  it.live("plugin hooks: verdicts by phase, plugin and kind, and their latency", () => {
    const busy = (ms: number) => {
      const until = performance.now() + ms
      while (performance.now() < until) {
        // the hook's own work, measured below
      }
    }
    const policy = hooks("policy", {
      mailFrom: () => Effect.sync(() => {
        busy(5)
        return Verdict.next
      }),
      rcptTo: (_txn, rcpt) =>
        Effect.succeed(rcpt.address.localPart === "nobody" ? Verdict.reject("5.1.1", "No such user") : Verdict.next),
      data: () => Effect.fail("down")
    })
    return isolated(withServer([policy, domain], {}, (server) =>
      Effect.gen(function*() {
        yield* play(server, S`
          ${ehlo}
          -> MAIL FROM:<alice@sender.test>
          <- 250 *
          -> RCPT TO:<nobody@example.test>
          <- 550 5.1.1 No such user
          -> RCPT TO:<bob@example.test>
          <- 250 *
          -> DATA
          <- 451 4.3.0 *
          -> QUIT
          <- 221 *
        `)
        const verdicts = (plugin: { readonly name: string }, phase: string, verdict: PluginMetrics.Outcome) =>
          count(PluginMetrics.of(plugin, phase).verdicts[verdict])
        assert.deepStrictEqual(
          yield* Effect.all([
            verdicts(policy, "mailFrom", "Continue"),
            verdicts(policy, "rcptTo", "Reject"),
            verdicts(policy, "rcptTo", "Continue"),
            verdicts(domain, "rcptTo", "Accept"),
            verdicts(domain, "rcptTo", "Continue"),
            verdicts(policy, "data", "Failed")
          ]),
          [1, 1, 1, 1, 0, 1]
        )
        // The series carry the phase, the plugin and the verdict as labels.
        const series = (yield* Metric.snapshot).filter((m) => m.id === "cartero_plugin_verdicts_total" && Number((m.state as { readonly count: number }).count) > 0)
        assert.includeDeepMembers(series.map((m) => m.attributes), [{ phase: "rcptTo", plugin: "policy", verdict: "reject" }])
        const mailFrom = yield* histogramOf(PluginMetrics.of(policy, "mailFrom").latency)
        assert.strictEqual(mailFrom.count, 1)
        assert.isAtLeast(mailFrom.sum, 5)
        const rcpt = yield* histogramOf(PluginMetrics.of(policy, "rcptTo").latency)
        assert.strictEqual(rcpt.count, 2)
      }))
    )
  })

  it.live("TLS sessions by mode (STARTTLS, implicit) and failed handshakes", () =>
    isolated(withServer([domain], {
      tls,
      listeners: [{ kind: "mx", host: "127.0.0.1", port: 0 }, { kind: "smtps", host: "127.0.0.1", port: 0 }]
    }, (server) =>
      Effect.gen(function*() {
        yield* play(server, S`
          ${ehlo}
          -> STARTTLS
          <- 220 *
          ** tls
          -> EHLO client.test
          <~ 250 
          -> QUIT
          <- 221 *
        `)
        yield* play(server, S`
          ** tls
          <- 220 *
          -> QUIT
          <- 221 *
        `, "smtps")
        // A client that speaks plaintext to the implicit-TLS port: the handshake fails and the socket is closed.
        const port = server.address("smtps")?.port ?? 0
        yield* Effect.callback<void>((resume) => {
          const socket = net.connect(port, "127.0.0.1", () => socket.write("EHLO client.test\r\n"))
          socket.on("error", () => undefined)
          socket.on("close", () => resume(Effect.void))
          return Effect.sync(() => socket.destroy())
        }).pipe(Effect.timeout("5 seconds"))
        assert.deepStrictEqual(
          yield* Effect.all([count(ServerMetrics.tlsSessions.starttls), count(ServerMetrics.tlsSessions.implicit), count(ServerMetrics.tlsFailures)]),
          [1, 1, 1]
        )
      }))))
})
