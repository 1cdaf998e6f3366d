import { SmtpSink, TempDir, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import * as Path from "node:path"
import * as AppProcess from "./support/AppProcess.ts"
import * as OtlpReceiver from "./support/OtlpReceiver.ts"

const tempDir = TempDir.make()

/** The port of the MX listener, from the start-up line (logfmt: `listeners="mx=127.0.0.1:PORT …"`). */
const mxPort = (stdout: string): number => {
  const port = /mx=127\.0\.0\.1:(\d+)/.exec(stdout)?.[1]
  if (port === undefined) throw new Error(`no MX listener in the start-up line:\n${stdout}`)
  return Number(port)
}

/** The first span named `name`, or a failure listing what arrived. */
const named = (spans: ReadonlyArray<OtlpReceiver.Span>, name: string, traceId: string): OtlpReceiver.Span => {
  const found = spans.find((s) => s.name === name && s.traceId === traceId)
  if (found === undefined) throw new Error(`no span ${name} in trace ${traceId}; got ${spans.map((s) => `${s.name}@${s.traceId}`).join(", ")}`)
  return found
}

describe("message traces (CARTERO_OTLP_ENDPOINT)", () => {
  it.live(
    "one trace per message: accepted in process A, delivered in process B, the delivery a descendant of the session's span",
    () =>
      Effect.gen(function*() {
        const dataDir = yield* tempDir
        const collector = yield* OtlpReceiver.make
        const sink = yield* SmtpSink.make()
        const env = {
          CARTERO_DATA_DIR: dataDir,
          CARTERO_SMTP_PORT: "0",
          CARTERO_HOSTNAME: "mx.test",
          CARTERO_LOCAL_DOMAINS: "example.test",
          CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8",
          CARTERO_STATIC_ROUTES: `remote.test=127.0.0.1:${sink.port}`,
          CARTERO_OUTBOUND_TLS: "none",
          CARTERO_OTLP_ENDPOINT: collector.endpoint,
          CARTERO_LOG_LEVEL: "info"
        }

        // Process A accepts and queues (no delivery workers), then stops: its spans are flushed on SIGTERM.
        const a = yield* AppProcess.spawn(AppProcess.runner.tsx(), { ...env, CARTERO_DELIVERY_WORKERS: "0", CARTERO_OTLP_SERVICE_NAME: "cartero-a" })
        yield* AppProcess.waitFor(a, "cartero started")
        yield* Transcript.run({ host: "127.0.0.1", port: mxPort(a.output.stdout) }, `
          <~ 220
          -> EHLO client.test
          <~ 250
          -> MAIL FROM:<alice@example.test>
          <- 250 2.1.0 Accepted
          -> RCPT TO:<carol@remote.test>
          <- 250 2.1.5 Accepted
          -> DATA
          <~ 354
          -> Subject: traced
          ->
          -> Hello.
          -> .
          <~ 250 2.6.0 Message queued as
          -> QUIT
          <~ 221
        `)
        a.child.kill("SIGTERM")
        assert.strictEqual(yield* AppProcess.waitExit(a), 0, a.output.stderr)
        assert.strictEqual(yield* sink.count, 0, "process A delivers nothing")

        // What the queue keeps: the transaction id (the logs' txn) and the traceparent of the span that queued it.
        const db = new Database(Path.join(dataDir, "queue.sqlite"), { readonly: true })
        const rows = db.prepare<[], { trace_id: string; trace_parent: string }>("SELECT trace_id, trace_parent FROM messages").all()
        db.close()
        assert.strictEqual(rows.length, 1)
        const stored = rows[0] ?? { trace_id: "", trace_parent: "" }
        const [, traceId = "", enqueueSpanId = ""] = stored.trace_parent.split("-")
        assert.match(stored.trace_parent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)

        const message = named(collector.spans, "smtp.message", traceId)
        assert.strictEqual(message.service, "cartero-a")
        assert.isUndefined(message.parentSpanId, "smtp.message is the root of the message's trace")
        assert.strictEqual(message.attributes["cartero.txn"], stored.trace_id)
        assert.strictEqual(message.attributes["client.address"], "127.0.0.1")
        assert.strictEqual(message.attributes["cartero.helo"], "client.test")
        assert.strictEqual(message.attributes["cartero.sender"], "<alice@example.test>")
        assert.strictEqual(message.attributes["cartero.recipients"], 1)
        assert.strictEqual(message.attributes["smtp.reply.code"], 250)
        const enqueue = named(collector.spans, "queue.enqueue", traceId)
        assert.strictEqual(enqueue.spanId, enqueueSpanId, "the stored traceparent names queue.enqueue")

        // Process B (same queue) delivers to the sink.
        const b = yield* AppProcess.spawn(AppProcess.runner.tsx(), { ...env, CARTERO_OTLP_SERVICE_NAME: "cartero-b" })
        const [delivered] = yield* sink.awaitMessages(1, "30 seconds")
        assert.deepStrictEqual(delivered?.rcptTo, ["carol@remote.test"])
        b.child.kill("SIGTERM")
        assert.strictEqual(yield* AppProcess.waitExit(b), 0, b.output.stderr)

        const attempt = named(collector.spans, "delivery.attempt", traceId)
        assert.strictEqual(attempt.service, "cartero-b")
        assert.strictEqual(attempt.parentSpanId, enqueue.spanId)
        assert.strictEqual(attempt.attributes["cartero.txn"], stored.trace_id)
        assert.deepStrictEqual(attempt.attributes["cartero.recipients"], ["carol@remote.test"])
        assert.deepStrictEqual(attempt.attributes["smtp.reply.code"], [250])
        assert.deepStrictEqual(attempt.attributes["cartero.status"], ["sent"])
        assert.include(String(attempt.attributes["cartero.relay"]), `:${sink.port}`)
        const send = named(collector.spans, "delivery.send", traceId)
        assert.strictEqual(send.parentSpanId, attempt.spanId)

        // The chain from the delivery up: every step a span of this trace, ending at the session's message span.
        const byId = new Map(collector.spans.filter((s) => s.traceId === traceId).map((s) => [s.spanId, s]))
        const chain: Array<string> = []
        let at: OtlpReceiver.Span | undefined = send
        while (at !== undefined && chain.length < 20) {
          chain.push(`${at.service}:${at.name}`)
          at = at.parentSpanId === undefined ? undefined : byId.get(at.parentSpanId)
        }
        assert.deepStrictEqual(chain, [
          "cartero-b:delivery.send",
          "cartero-b:delivery.attempt",
          "cartero-a:queue.enqueue",
          "cartero-a:plugin.queue.queue",
          "cartero-a:smtp.phase.queue",
          "cartero-a:smtp.message"
        ])
        // The commands before DATA make no spans: each would be a trace of its own, one per command.
        assert.deepStrictEqual(collector.spans.filter((s) => /^plugin\..*\.(connect|helo|mailFrom|rcptTo)$/.test(s.name)).map((s) => s.name), [])
        assert.deepStrictEqual(collector.problems, [])
      }).pipe(Effect.scoped),
    90_000
  )
})
