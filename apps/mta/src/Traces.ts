/**
 * Message traces (OpenTelemetry), off by default. With `CARTERO_OTLP_ENDPOINT` set (an OTLP/HTTP collector, e.g.
 * `http://127.0.0.1:4318`), spans are exported over OTLP/HTTP (JSON) by `effect/observability`'s `OtlpTracer`, to
 * `<endpoint>/v1/traces` (as `OTEL_EXPORTER_OTLP_ENDPOINT` is read; an endpoint already ending in `/v1/traces` is
 * used as it is), and the per-message spans of the server, the queue and the delivery workers are made
 * (`TraceGate.Enabled`): one trace per message, from `smtp.message` through `queue.enqueue` to every
 * `delivery.attempt`, in whichever process delivers it (docs/operations.md, "Traces").
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `CARTERO_OTLP_ENDPOINT` | unset: no traces | base URL of the OTLP/HTTP collector (`http:` or `https:`) |
 * | `CARTERO_OTLP_SERVICE_NAME` | `cartero` | the `service.name` of the spans |
 *
 * Without the endpoint, nothing is installed (Effect's native tracer stays, `TraceGate` spans are not made) and the
 * exporter's modules are not even loaded (a dynamic import, a chunk of its own in the bundle). Spans are sent in
 * batches every second and flushed when the app stops (SIGTERM), for at most 3 s.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { Effect, Layer } from "effect"

/** Where and as what spans are exported. */
export interface TracesOptions {
  /** The OTLP/HTTP traces URL (`…/v1/traces`). */
  readonly url: string
  readonly serviceName: string
}

/** An `http:`/`https:` URL without credentials, as the traces URL (`/v1/traces` appended unless present). */
export const tracesUrl = (raw: string): string | undefined => {
  const text = raw.trim()
  if (!URL.canParse(text)) return undefined
  const url = new URL(text)
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username !== "" || url.password !== "" || url.hash !== "") return undefined
  if (url.pathname.endsWith("/v1/traces")) return url.toString()
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/traces`
  return url.toString()
}

const serviceName = (raw: string): string | undefined => {
  const text = raw.trim()
  return text.length > 0 && text.length <= 255 && !/[\u0000-\u001f\u007f]/.test(text) ? text : undefined
}

/** The options from the settings, or `undefined` when `CARTERO_OTLP_ENDPOINT` is unset (no traces). */
export const load = Effect.gen(function*() {
  const url = yield* Setting.optional("CARTERO_OTLP_ENDPOINT", "an http:// or https:// URL (the OTLP/HTTP collector)", tracesUrl)
  if (url === undefined) return undefined
  const name = yield* Setting.withDefault("CARTERO_OTLP_SERVICE_NAME", "a service name (1-255 characters)", serviceName, "cartero")
  return { url, serviceName: name } satisfies TracesOptions
})

/** The tracer and the message spans, or nothing, as the settings say. */
export const layer = Layer.unwrap(
  Effect.flatMap(load, (options) =>
    options === undefined
      ? Effect.succeed(Layer.empty)
      : Effect.map(Effect.promise(() => import("./OtlpTraces.ts")), (otlp) => otlp.layer(options)))
)
