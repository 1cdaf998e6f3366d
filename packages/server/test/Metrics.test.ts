/** The inbound metrics (ServerMetrics) move with what happens on the wire; each test has a registry of its own. */
import { SmtpTestClient, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { ServerMetrics } from "../src/index.ts"
import { acceptDomain, ehlo, envelope, recorder, withServer } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")

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
})
