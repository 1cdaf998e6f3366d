import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Tracer } from "effect"
import * as TraceGate from "../src/TraceGate.ts"

/** A tracer that records the spans asked of it (Effect's native spans, so ids and parents are real). */
const recording = () => {
  const made: Array<Tracer.Span> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = Tracer.nativeTracer.span(options)
      made.push(span)
      return span
    }
  })
  return { made, layer: Layer.succeed(Tracer.Tracer, tracer) }
}

const work = TraceGate.annotate(() => ({ step: "one" })).pipe(
  Effect.andThen(TraceGate.traceParent),
  TraceGate.span("work", () => ({ "cartero.queue_id": "q1" }))
)

describe("TraceGate", () => {
  it.effect("off (the default): no span is made, no attribute is built, no traceparent is stored", () =>
    Effect.gen(function*() {
      const { made, layer } = recording()
      let built = 0
      const parent = yield* TraceGate.traceParent.pipe(
        TraceGate.span("work", () => {
          built++
          return {}
        }),
        Effect.provide(layer)
      )
      assert.strictEqual(parent, "")
      assert.strictEqual(made.length, 0)
      assert.strictEqual(built, 0)
    }))

  it.effect("on: the span is made with its attributes and is the current span's traceparent", () =>
    Effect.gen(function*() {
      const { made, layer } = recording()
      const parent = yield* work.pipe(Effect.provide(layer), Effect.provideService(TraceGate.Enabled, true))
      assert.strictEqual(made.length, 1)
      const span = made[0]
      assert.isDefined(span)
      if (span === undefined) return
      assert.strictEqual(span.name, "work")
      assert.strictEqual(span.attributes.get("cartero.queue_id"), "q1")
      assert.strictEqual(span.attributes.get("step"), "one")
      assert.strictEqual(parent, `00-${span.traceId}-${span.spanId}-01`)
    }))

  it.effect("on: a stored traceparent becomes the parent, so the trace continues in another process", () =>
    Effect.gen(function*() {
      const { made, layer } = recording()
      const stored = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
      yield* Effect.void.pipe(
        TraceGate.root("delivery.attempt", () => ({}), stored),
        Effect.withSpan("worker"),
        Effect.provide(layer),
        Effect.provideService(TraceGate.Enabled, true)
      )
      const span = made.find((s) => s.name === "delivery.attempt")
      assert.isDefined(span)
      if (span === undefined) return
      assert.strictEqual(span.traceId, "4bf92f3577b34da6a3ce929d0e0e4736")
      assert.strictEqual(span.parent._tag === "Some" ? span.parent.value.spanId : undefined, "00f067aa0ba902b7")
    }))

  it.effect("on: root starts a trace of its own without a stored traceparent, whatever span the fiber is in", () =>
    Effect.gen(function*() {
      const { made, layer } = recording()
      yield* Effect.void.pipe(
        TraceGate.root("smtp.message", () => ({}), ""),
        Effect.withSpan("server"),
        Effect.provide(layer),
        Effect.provideService(TraceGate.Enabled, true)
      )
      const server = made.find((s) => s.name === "server")
      const message = made.find((s) => s.name === "smtp.message")
      assert.isDefined(server)
      assert.isDefined(message)
      assert.strictEqual(message?.parent._tag, "None")
      assert.notStrictEqual(message?.traceId, server?.traceId)
    }))

  it("parse refuses what is not a version-00 traceparent", () => {
    const good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    const parsed = TraceGate.parse(good)
    assert.isDefined(parsed)
    if (parsed !== undefined) assert.strictEqual(TraceGate.format(parsed), good)
    assert.strictEqual(TraceGate.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled, false)
    for (
      const bad of [
        undefined,
        "",
        "01HX0000000000000000000000",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"
      ]
    ) assert.isUndefined(TraceGate.parse(bad), String(bad))
  })
})
