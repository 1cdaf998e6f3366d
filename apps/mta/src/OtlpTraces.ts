/**
 * The OTLP exporter of message traces, loaded by `Traces` only when `CARTERO_OTLP_ENDPOINT` is set: Effect's
 * `OtlpTracer` over the global `fetch`, OTLP/JSON, with `TraceGate.Enabled` so that the per-message spans are made.
 *
 * @since 0.1.0
 */
import { TraceGate } from "@cartero/hotpath"
import { Layer } from "effect"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import * as OtlpSerialization from "effect/observability/OtlpSerialization"
import * as OtlpTracer from "effect/observability/OtlpTracer"
import type { TracesOptions } from "./Traces.ts"

/**
 * Exports spans to `options.url`; flushes on shutdown (the layer's scope), waiting at most 3 s. Its outputs are
 * references (`Tracer.Tracer`, `TraceGate.Enabled`) and the exporter's `Flusher`, none of which anyone asks for by
 * type: hence `Layer<never>`.
 */
export const layer = (options: TracesOptions): Layer.Layer<never> =>
  Layer.mergeAll(
    OtlpTracer.layer({
      url: options.url,
      resource: { serviceName: options.serviceName },
      exportInterval: "1 second",
      shutdownTimeout: "3 seconds"
    }).pipe(Layer.provide([OtlpSerialization.layerJson, FetchHttpClient.layer])),
    Layer.succeed(TraceGate.Enabled, true)
  )
