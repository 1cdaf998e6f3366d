/**
 * Spans of the per-message path, made only when message traces are on.
 *
 * The per-message code is deliberately untraced (`Effect.fnUntraced`: `Effect.fn` made a span and captured two
 * stacks per call; docs/benchmarks.md, "Profile and optimisations"). Traces are an operator's choice
 * (`CARTERO_OTLP_ENDPOINT`), so the spans of a message are gated on {@link Enabled}: off (the default), a gated
 * span costs one reference lookup and nothing is allocated for its attributes; on, it is an ordinary
 * `Effect.withSpan`. The app sets {@link Enabled} together with the tracer that exports the spans.
 *
 * A message's trace crosses processes through the queue: the span that accepted it is stored as a W3C
 * `traceparent` ({@link traceParent}, `00-<trace id>-<span id>-01`) and the delivery span continues it
 * ({@link root} with the stored value), in whichever process claims the message.
 *
 * ```ts
 * deliver(claim).pipe(TraceGate.root("delivery.attempt", () => ({ "cartero.queue.id": claim.messageId }), claim.traceParent))
 * ```
 *
 * @since 0.1.0
 */
import { Context, Effect, Option, Tracer } from "effect"

/** Whether the spans of messages are made (and exported): set by the app with its tracer; off by default. */
export const Enabled = Context.Reference<boolean>("@cartero/hotpath/TraceGate/Enabled", { defaultValue: () => false })

const hex = /^[0-9a-f]+$/
const zeros = /^0+$/

/** The W3C `traceparent` of a span (version 00, sampled flag as the span says). */
export const format = (span: Tracer.AnySpan): string =>
  `00-${span.traceId.padStart(32, "0")}-${span.spanId}-${span.sampled ? "01" : "00"}`

/**
 * The span a `traceparent` names, as a parent to continue from; `undefined` for an empty or malformed value (a
 * message queued while traces were off, or by an older version), whose spans then start a trace of their own.
 */
export const parse = (traceParent: string | undefined): Tracer.ExternalSpan | undefined => {
  if (traceParent === undefined || traceParent.length !== 55) return undefined
  const [version, traceId, spanId, flags] = traceParent.split("-")
  if (version !== "00" || traceId === undefined || spanId === undefined || flags === undefined) return undefined
  if (traceId.length !== 32 || spanId.length !== 16 || flags.length !== 2) return undefined
  if (!hex.test(traceId) || !hex.test(spanId) || !hex.test(flags) || zeros.test(traceId) || zeros.test(spanId)) return undefined
  return Tracer.externalSpan({ traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 })
}

/**
 * `self` in a span named `name`, a child of the current span, when traces are on; else `self` as it is.
 * `attributes` is only called when the span is made.
 */
export const span = (name: string, attributes: () => Record<string, unknown>) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => (fiber.getRef(Enabled) ? Effect.withSpan(self, name, { attributes: attributes() }) : self))

/**
 * Like {@link span}, for the first span of a message in a process: it continues `traceParent` (a stored
 * `traceparent`) when there is a readable one, else it starts a trace of its own. Never a child of the fiber's
 * current span, which for a session or a delivery worker is a long-lived span of the layer that started it: under
 * it, every message would share one trace.
 */
export const root = (name: string, attributes: () => Record<string, unknown>, traceParent?: string | undefined) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withFiber((fiber) => {
    if (!fiber.getRef(Enabled)) return self
    const parent = parse(traceParent)
    return Effect.withSpan(self, name, parent === undefined ? { attributes: attributes(), root: true } : { attributes: attributes(), parent })
  })

/** Adds attributes to the current span when traces are on; `attributes` is only called then. */
export const annotate = (attributes: () => Record<string, unknown>): Effect.Effect<void> =>
  Effect.withFiber((fiber) => (fiber.getRef(Enabled) ? Effect.annotateCurrentSpan(attributes()) : Effect.void))

/** The current span as a `traceparent`, to store with a message; `""` when traces are off or there is no span. */
export const traceParent: Effect.Effect<string> = Effect.withFiber((fiber) =>
  fiber.getRef(Enabled)
    ? Effect.map(Effect.option(Effect.currentParentSpan), Option.match({ onNone: () => "", onSome: format }))
    : Effect.succeed("")
)
