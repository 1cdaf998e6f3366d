import { TraceGate } from "@cartero/hotpath"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Tracer } from "effect"
import * as Traces from "../src/Traces.ts"

/** The tracer and the gate the app's fibers see under `Traces.layer` with `env`. */
const installed = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const tracer = yield* Tracer.Tracer
    const enabled = yield* TraceGate.Enabled
    return { native: tracer === Tracer.nativeTracer, enabled }
  }).pipe(Effect.provide(Traces.layer.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))))

describe("Traces", () => {
  it.effect("without CARTERO_OTLP_ENDPOINT nothing is installed: Effect's native tracer, message spans off", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* installed({}), { native: true, enabled: false })
      assert.isUndefined(yield* Traces.load.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: {} })))))
    }))

  it.effect("with it, the OTLP tracer is installed and message spans are on", () =>
    Effect.gen(function*() {
      // Nothing listens there and no span is made here: the exporter has nothing to send.
      assert.deepStrictEqual(yield* installed({ CARTERO_OTLP_ENDPOINT: "http://127.0.0.1:9" }), { native: false, enabled: true })
    }))

  it.effect("the endpoint and the service name", () =>
    Effect.gen(function*() {
      const load = (env: Record<string, string>) =>
        Traces.load.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))), Effect.result)
      const ok = yield* load({ CARTERO_OTLP_ENDPOINT: "http://127.0.0.1:4318", CARTERO_OTLP_SERVICE_NAME: "mx1" })
      assert.deepStrictEqual(ok._tag === "Success" ? ok.success : ok.failure, { url: "http://127.0.0.1:4318/v1/traces", serviceName: "mx1" })
      const named = yield* load({ CARTERO_OTLP_ENDPOINT: "https://collector.example/otlp/" })
      assert.deepStrictEqual(named._tag === "Success" ? named.success : undefined, { url: "https://collector.example/otlp/v1/traces", serviceName: "cartero" })
      const bad = yield* load({ CARTERO_OTLP_ENDPOINT: "collector:4318" })
      assert.strictEqual(
        bad._tag === "Failure" ? bad.failure.message : "",
        `CARTERO_OTLP_ENDPOINT: expected an http:// or https:// URL (the OTLP/HTTP collector), got "collector:4318"`
      )
    }))

  it("tracesUrl keeps a full traces URL and refuses credentials, other schemes and nonsense", () => {
    assert.strictEqual(Traces.tracesUrl("http://127.0.0.1:4318/v1/traces"), "http://127.0.0.1:4318/v1/traces")
    assert.strictEqual(Traces.tracesUrl(" http://[::1]:4318 "), "http://[::1]:4318/v1/traces")
    for (const bad of ["", "localhost", "ftp://h/", "http://user:pw@h:4318", "http://h:4318/#x", "http://h:99999"]) {
      assert.isUndefined(Traces.tracesUrl(bad), bad)
    }
  })
})
