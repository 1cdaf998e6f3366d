/**
 * One way to read an operator setting (a `CARTERO_*` environment variable, or whatever `ConfigProvider` is
 * current): read the text, parse it, and on a value that does not parse stop with a message an operator can act on,
 * naming the variable, what was expected and what was got:
 *
 * ```
 * CARTERO_SMTP_PORT: expected an integer 0-65535, got "abc"
 * ```
 *
 * Two forms, for the two ways the packages assemble their settings:
 * - {@link optional} / {@link withDefault} are Effects that fail with the tagged {@link InvalidSetting}, for
 *   settings read in an `Effect.gen` (the server, the app);
 * - {@link config} is a `Config` that fails with a `Config.ConfigError` carrying the same message, for settings
 *   built with `Config.all` (delivery, queue, plugins); combine it with `Config.withDefault` or `Config.option`.
 *
 * A variable that is unset is never an error here (the environment provider reports an empty variable as unset);
 * a variable that is set is handed to the parser as it is, spaces included. Parsers are plain functions returning `undefined` for "not acceptable",
 * so a package can write its own next to the shared ones: {@link int}, {@link size}, {@link duration},
 * {@link boolean}, {@link list}, {@link oneOf}, {@link choice}.
 *
 * @since 0.1.0
 */
import { Config, ConfigProvider, Data, Duration, Effect, Option } from "effect"

/** A variable is set to a value that cannot be used. The message is `VARIABLE: expected …, got "…"`. */
export class InvalidSetting extends Data.TaggedError("InvalidSetting")<{
  /** The variable, e.g. `CARTERO_SMTP_PORT`. */
  readonly variable: string
  /** What would have been accepted, as a phrase: `an integer 0-65535`. */
  readonly expected: string
  /** The value as read. */
  readonly got: string
}> {
  override get message(): string {
    return `${this.variable}: expected ${this.expected}, got ${JSON.stringify(this.got)}`
  }
}

/** Reads a setting's text: the value, or `undefined` when the text is not acceptable. */
export type Parser<A> = (raw: string) => A | undefined

/** Parses `raw` as the value of `variable`; fails with {@link InvalidSetting} when `parse` refuses it. */
export const decode = <A>(variable: string, expected: string, parse: Parser<A>) =>
(raw: string): Effect.Effect<A, InvalidSetting> => {
  const value = parse(raw)
  return value === undefined ? Effect.fail(new InvalidSetting({ variable, expected, got: raw })) : Effect.succeed(value)
}

/** The {@link InvalidSetting} as a `Config` failure, whose message is the setting's own (no schema path). */
export const toConfigError = (error: InvalidSetting): Config.ConfigError =>
  new Config.ConfigError(new ConfigProvider.SourceError({ message: error.message, cause: error }))

/**
 * An optional setting: `undefined` when the variable is unset, its parsed value when it is set and acceptable,
 * and {@link InvalidSetting} otherwise. `Config.ConfigError` only if the provider itself fails.
 */
export const optional = <A>(
  variable: string,
  expected: string,
  parse: Parser<A>
): Effect.Effect<A | undefined, InvalidSetting | Config.ConfigError> =>
  Effect.flatMap(
    Config.option(Config.String(variable)),
    Option.match({ onNone: () => Effect.succeed(undefined), onSome: decode(variable, expected, parse) })
  )

/** Like {@link optional}, with `fallback` when the variable is unset. */
export const withDefault = <A>(
  variable: string,
  expected: string,
  parse: Parser<A>,
  fallback: A
): Effect.Effect<A, InvalidSetting | Config.ConfigError> =>
  Effect.map(optional(variable, expected, parse), (value) => (value === undefined ? fallback : value))

/**
 * A setting as a `Config`: absent when the variable is unset (so `Config.withDefault` and `Config.option` apply),
 * its parsed value when acceptable, and a `Config.ConfigError` with the {@link InvalidSetting} message otherwise.
 */
export const config = <A>(variable: string, expected: string, parse: Parser<A>): Config.Config<A> =>
  Config.String(variable).pipe(
    Config.mapEffect((raw) => Effect.mapError(decode(variable, expected, parse)(raw), toConfigError))
  )

// ---------------------------------------------------------------------------------------------------------------
// Parsers

/** A decimal integer within `[min, max]`; surrounding spaces are ignored, signs and fractions are not accepted. */
export const int = (min: number, max: number): Parser<number> => (raw) => {
  const s = raw.trim()
  if (!/^\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined
}

const sizeUnits: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/**
 * A size in bytes, more than zero: `1048576`, or with a binary suffix, case-insensitive, `K`/`KB`/`KiB` (1024),
 * `M`…, `G`…: `512K`, `10M`, `10MB`, `10MiB`, `1G`. No fractions (`1.5M` is refused).
 */
export const size: Parser<number> = (raw) => {
  const m = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(raw.trim())
  if (m === null) return undefined
  const n = Number(m[1]) * (sizeUnits[(m[2] ?? "").toLowerCase()] ?? 1)
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/**
 * A duration: a number (decimals allowed) and a unit, case-insensitive, `ms`, `s`, `m`, `h`, `d` or `w`:
 * `250ms`, `90s`, `5m`, `1.5h`, `5d`; a bare number is seconds. Zero is accepted (`0`, `0s`); callers that need
 * a positive duration check it.
 */
export const duration: Parser<Duration.Duration> = (raw) => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/i.exec(raw)
  if (m === null || m[1] === undefined) return undefined
  const factor = durationUnits[(m[2] ?? "s").toLowerCase()]
  return factor === undefined ? undefined : Duration.millis(Number(m[1]) * factor)
}

const truthy: ReadonlyArray<string> = ["true", "yes", "on", "1"]
const falsy: ReadonlyArray<string> = ["false", "no", "off", "0"]

/** A boolean, case-insensitive: `true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`. */
export const boolean: Parser<boolean> = (raw) => {
  const s = raw.trim().toLowerCase()
  return truthy.includes(s) ? true : falsy.includes(s) ? false : undefined
}

/** A comma-separated list: items trimmed, empty items dropped (so `""` is the empty list). Never refuses. */
export const list = (raw: string): ReadonlyArray<string> => raw.split(",").map((s) => s.trim()).filter((s) => s !== "")

/** One of `literals`, compared trimmed and case-insensitively (the literals are lower case). */
export const oneOf = <const L extends ReadonlyArray<string>>(literals: L): Parser<L[number]> => (raw) => {
  const s = raw.trim().toLowerCase()
  return literals.find((l) => l === s)
}

/** A value looked up by its name in `table`, compared trimmed and case-insensitively (the names are lower case). */
export const choice = <A>(table: Readonly<Record<string, A>>): Parser<A> => (raw) => {
  const s = raw.trim().toLowerCase()
  return Object.hasOwn(table, s) ? table[s] : undefined
}
