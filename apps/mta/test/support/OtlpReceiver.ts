/**
 * A tiny OTLP/HTTP traces receiver on 127.0.0.1:0: the collector of the trace tests. It takes `POST /v1/traces` in
 * OTLP/JSON (what `Traces` sends), answers 200, and keeps every span with its resource's `service.name`; anything
 * else is answered 404 (and an unreadable body 400) and kept in `problems`, so a test sees it.
 */
import { Effect, Schedule } from "effect"
import * as http from "node:http"

/** An OTLP/JSON `AnyValue`, as far as the tests read it. */
export interface AnyValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly boolValue?: boolean
  readonly arrayValue?: { readonly values?: ReadonlyArray<AnyValue> }
}

interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}

interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly attributes?: ReadonlyArray<KeyValue>
}

interface TracesData {
  readonly resourceSpans?: ReadonlyArray<{
    readonly resource?: { readonly attributes?: ReadonlyArray<KeyValue> }
    readonly scopeSpans?: ReadonlyArray<{ readonly spans?: ReadonlyArray<OtlpSpan> }>
  }>
}

/** A received span, its attributes as plain values (arrays as arrays, integers as numbers). */
export interface Span {
  readonly service: string
  readonly traceId: string
  readonly spanId: string
  /** `undefined` for a root span. */
  readonly parentSpanId: string | undefined
  readonly name: string
  readonly attributes: Readonly<Record<string, unknown>>
}

const plain = (value: AnyValue): unknown =>
  value.arrayValue !== undefined
    ? (value.arrayValue.values ?? []).map(plain)
    : value.intValue !== undefined
    ? Number(value.intValue)
    : value.boolValue ?? value.stringValue

const record = (attributes: ReadonlyArray<KeyValue> | undefined): Record<string, unknown> =>
  Object.fromEntries((attributes ?? []).map((a) => [a.key, plain(a.value)]))

/** Starts the receiver for the scope; `endpoint` is what `CARTERO_OTLP_ENDPOINT` should say. */
export const make = Effect.acquireRelease(
  Effect.callback<{ server: http.Server; spans: Array<Span>; problems: Array<string>; port: number }>((resume) => {
    const spans: Array<Span> = []
    const problems: Array<string> = []
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        if (req.method !== "POST" || req.url !== "/v1/traces") {
          problems.push(`${req.method} ${req.url}`)
          return void res.writeHead(404).end()
        }
        try {
          const data = JSON.parse(Buffer.concat(chunks).toString("utf8")) as TracesData
          for (const rs of data.resourceSpans ?? []) {
            const service = String(record(rs.resource?.attributes)["service.name"] ?? "")
            for (const ss of rs.scopeSpans ?? []) {
              for (const s of ss.spans ?? []) {
                spans.push({
                  service,
                  traceId: s.traceId,
                  spanId: s.spanId,
                  parentSpanId: s.parentSpanId === undefined || s.parentSpanId === "" ? undefined : s.parentSpanId,
                  name: s.name,
                  attributes: record(s.attributes)
                })
              }
            }
          }
          res.writeHead(200, { "content-type": "application/json" }).end("{}")
        } catch (e) {
          problems.push(`unreadable body (${req.headers["content-type"]}): ${String(e)}`)
          res.writeHead(400).end()
        }
      })
    })
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      resume(Effect.succeed({ server, spans, problems, port: typeof address === "object" && address !== null ? address.port : 0 }))
    })
  }),
  ({ server }) => Effect.callback<void>((resume) => void server.close(() => resume(Effect.void)))
).pipe(Effect.map(({ port, problems, spans }) => ({
  endpoint: `http://127.0.0.1:${port}`,
  /** Every span received so far. */
  spans: spans as ReadonlyArray<Span>,
  problems: problems as ReadonlyArray<string>,
  /** Waits (15 s at most) until a span matches. */
  awaitSpan: (predicate: (span: Span) => boolean) =>
    Effect.suspend(() => Effect.succeed(spans.some(predicate))).pipe(
      Effect.repeat({ until: (seen) => seen, schedule: Schedule.spaced("100 millis") }),
      Effect.timeout("15 seconds")
    )
})))
