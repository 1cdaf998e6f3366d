/**
 * The two line formats of the app's log (docs/operations.md, "Logs"): logfmt and JSON lines, each with one value
 * per key, whatever a log call passes.
 *
 * Effect's own `formatLogFmt` writes one `message=` per message argument (`Effect.logInfo("a", "b")` gives
 * `message=a message=b`) and an annotation named like a built-in key a second time; its JSON turns the same call
 * into `"message": ["a", "b"]`. Here:
 *
 * - `message` is always the first argument, a string; further arguments (a detail, an error) are joined with `; `
 *   into the `detail` annotation;
 * - logfmt: `timestamp level fiber message [cause] [spans…] annotations…`, each key once: an annotation or a span
 *   named like an earlier key is left out (the built-in keys win);
 * - JSON: `{"message","level","timestamp","cause"?,"annotations":{…},"spans":{…},"fiberId"}`: Effect's structured
 *   shape with `message` always a string; `cause` only when the line has one.
 *
 * @since 0.1.0
 */
import { Cause, Formatter, Logger, References } from "effect"

const textOnly = /^[^\s"=]*$/

/** `message` and `detail` of a log call's arguments (`Logger.Options.message` is an array when several were given). */
export const split = (message: unknown): { readonly message: string; readonly detail: string | undefined } => {
  const parts = Array.isArray(message) ? message : [message]
  const [first, ...rest] = parts
  return {
    message: text(first),
    detail: rest.length === 0 ? undefined : rest.map(text).join("; ")
  }
}

/** One value as text: strings as they are, errors by their message, anything else as Effect formats it. */
const text = (value: unknown): string =>
  typeof value === "string"
    ? value
    : value instanceof Error
    ? `${value.name}: ${value.message}`
    : Formatter.format(value, { space: 0 })

const label = (key: string): string => key.replace(/[\s="]/g, "_")
const quote = (value: string): string => (textOnly.test(value) ? value : JSON.stringify(value))

/** Annotations, with `detail` from extra message arguments (an annotation of that name wins). */
const annotationsOf = (
  annotations: Readonly<Record<string, unknown>>,
  detail: string | undefined
): Readonly<Record<string, unknown>> => (detail === undefined || "detail" in annotations ? annotations : { ...annotations, detail })

/** logfmt, one value per key. */
export const logfmt: Logger.Logger<unknown, string> = Logger.make(({ cause, date, fiber, logLevel, message }) => {
  const { detail, message: main } = split(message)
  const seen = new Set<string>()
  let out = ""
  const append = (key: string, value: string): void => {
    const name = label(key)
    if (seen.has(name)) return
    seen.add(name)
    out += `${out === "" ? "" : " "}${name}=${quote(value)}`
  }
  append("timestamp", date.toISOString())
  append("level", logLevel.toUpperCase())
  append("fiber", `#${fiber.id}`)
  append("message", main)
  if (cause.reasons.length > 0) append("cause", Cause.pretty(cause))
  const now = date.getTime()
  for (const [span, start] of fiber.getRef(References.CurrentLogSpans)) append(span, `${now - start}ms`)
  for (const [key, value] of Object.entries(annotationsOf(fiber.getRef(References.CurrentLogAnnotations), detail))) {
    append(key, text(value))
  }
  return out
})

/** The JSON object of a line (before serialising). */
export interface JsonLine {
  readonly message: string
  readonly level: string
  readonly timestamp: string
  readonly cause?: string
  readonly annotations: Readonly<Record<string, unknown>>
  readonly spans: Readonly<Record<string, number>>
  readonly fiberId: string
}

const jsonValue = (value: unknown): unknown =>
  value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : text(value)

/** JSON lines, `message` always one string. */
export const json: Logger.Logger<unknown, string> = Logger.make(({ cause, date, fiber, logLevel, message }) => {
  const { detail, message: main } = split(message)
  const annotations: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(annotationsOf(fiber.getRef(References.CurrentLogAnnotations), detail))) {
    annotations[key] = jsonValue(value)
  }
  const spans: Record<string, number> = {}
  const now = date.getTime()
  for (const [span, start] of fiber.getRef(References.CurrentLogSpans)) spans[span] = now - start
  const line: JsonLine = {
    message: main,
    level: logLevel.toUpperCase(),
    timestamp: date.toISOString(),
    ...(cause.reasons.length > 0 ? { cause: Cause.pretty(cause) } : {}),
    annotations,
    spans,
    fiberId: `#${fiber.id}`
  }
  return JSON.stringify(line)
})
