/**
 * `SmtpServerOptions` from `CARTERO_*` environment variables, read with Effect `Config` (so tests can supply a
 * `ConfigProvider`).
 *
 * Values are read as raw strings and checked here rather than with `Config.Port`/`Config.Int`, for two reasons:
 * port `0` must be allowed (tests), and a bad value must stop start-up with a message an operator can act on,
 * naming the variable and what is expected: `CARTERO_SMTP_PORT: expected an integer 0-65535, got "abc"`.
 *
 * Decisions (documented in the package README):
 * - sizes are bytes or carry a binary suffix, case-insensitive: `K`/`KB`/`KiB` (1024), `M`…, `G`…;
 * - durations are a number and a unit: `ms`, `s`, `m`, `h` (`300s`, `5m`); a bare number is seconds;
 * - `CARTERO_SUBMISSION_PORT` and `CARTERO_SMTPS_PORT` are off unless set: a development server then only
 *   listens on the MX port, and opening an authenticated port is an explicit operator decision;
 * - without `CARTERO_TLS_CERT`/`CARTERO_TLS_KEY`, a self-signed pair is generated in `<CARTERO_DATA_DIR>/tls/`.
 *
 * @since 0.1.0
 */
import { Config, Data, Effect, Option } from "effect"
import * as os from "node:os"
import * as path from "node:path"
import type { ListenerOptions, SmtpServerOptions } from "./ServerOptions.ts"
import * as ServerOptions from "./ServerOptions.ts"

/** A configuration variable has a value the server cannot use. */
export class ServerConfigError extends Data.TaggedError("ServerConfigError")<{
  readonly variable: string
  readonly expected: string
  readonly got: string
}> {
  override get message(): string {
    return `${this.variable}: expected ${this.expected}, got ${JSON.stringify(this.got)}`
  }
}

type Parser<A> = (raw: string) => A | undefined

const bad = (variable: string, expected: string, got: string) => new ServerConfigError({ variable, expected, got })

/** Parses a decimal integer within [min, max]. */
export const parseInt = (min: number, max: number): Parser<number> => (raw) => {
  const s = raw.trim()
  if (!/^\d+$/.test(s)) return undefined
  const n = Number(s)
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined
}

const units: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** Parses a size: `1048576`, `512K`, `10M`, `10MB`, `10MiB`, `1G` (binary multiples). */
export const parseSize: Parser<number> = (raw) => {
  const m = /^(\d+)\s*([kmg]?)(?:i?b)?$/i.exec(raw.trim())
  if (m === null) return undefined
  const n = Number(m[1]) * (units[(m[2] ?? "").toLowerCase()] ?? 1)
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** Parses a duration into milliseconds: `1500ms`, `30s`, `5m`, `1h`; a bare number is seconds. */
export const parseDuration: Parser<number> = (raw) => {
  const m = /^(\d+)\s*(ms|s|m|h)?$/i.exec(raw.trim())
  if (m === null) return undefined
  const n = Number(m[1]) * (durationUnits[(m[2] ?? "s").toLowerCase()] ?? 1000)
  return Number.isSafeInteger(n) && n > 0 ? n : undefined
}

/** Parses a boolean: `true/false`, `yes/no`, `on/off`, `1/0`. */
export const parseBoolean: Parser<boolean> = (raw) => {
  const s = raw.trim().toLowerCase()
  return ["true", "yes", "on", "1"].includes(s) ? true : ["false", "no", "off", "0"].includes(s) ? false : undefined
}

/** Reads an optional variable and parses it; a present but unparseable value fails with {@link ServerConfigError}. */
const optional = <A>(variable: string, expected: string, parse: Parser<A>) =>
  Effect.gen(function*() {
    const raw = yield* Config.option(Config.String(variable))
    if (Option.isNone(raw)) return undefined
    const value = parse(raw.value)
    if (value === undefined) return yield* bad(variable, expected, raw.value)
    return value
  })

const port = "an integer 0-65535"

/**
 * Reads the options from the environment. Fails with {@link ServerConfigError} for a bad value, and with
 * `Config.ConfigError` only if the provider itself fails.
 */
export const load: Effect.Effect<SmtpServerOptions, ServerConfigError | Config.ConfigError> = Effect.gen(function*() {
  const host = (yield* optional("CARTERO_SMTP_HOST", "a host address", (s) => (s.trim() === "" ? undefined : s.trim())))
    ?? ServerOptions.defaultHost
  const mxPort = (yield* optional("CARTERO_SMTP_PORT", port, parseInt(0, 65535))) ?? ServerOptions.defaultMxPort()
  const submissionPort = yield* optional("CARTERO_SUBMISSION_PORT", port, parseInt(0, 65535))
  const smtpsPort = yield* optional("CARTERO_SMTPS_PORT", port, parseInt(0, 65535))
  const hostname = (yield* optional("CARTERO_HOSTNAME", "a host name", (s) => (/^[A-Za-z0-9.-]{1,253}$/.test(s.trim()) ? s.trim() : undefined)))
    ?? os.hostname()
  const dataDir = (yield* optional("CARTERO_DATA_DIR", "a directory path", (s) => (s === "" ? undefined : s))) ?? "./data"
  const maxMessageSize = yield* optional("CARTERO_MAX_MESSAGE_SIZE", "a size in bytes such as 26214400, 512K or 25M", parseSize)
  const maxRecipients = yield* optional("CARTERO_MAX_RECIPIENTS", "an integer 1-100000", parseInt(1, 100_000))
  const maxLineLength = yield* optional("CARTERO_MAX_LINE_LENGTH", "an integer 512-65536", parseInt(512, 65_536))
  const socketTimeout = yield* optional("CARTERO_SMTP_TIMEOUT", "a duration such as 300s or 5m", parseDuration)
  const shutdownTimeout = yield* optional("CARTERO_SHUTDOWN_TIMEOUT", "a duration such as 10s", parseDuration)
  const reverseDns = yield* optional("CARTERO_REVERSE_DNS", "true or false", parseBoolean)
  const certFile = yield* optional("CARTERO_TLS_CERT", "a PEM file path", (s) => (s === "" ? undefined : s))
  const keyFile = yield* optional("CARTERO_TLS_KEY", "a PEM file path", (s) => (s === "" ? undefined : s))
  if ((certFile === undefined) !== (keyFile === undefined)) {
    return yield* certFile === undefined
      ? bad("CARTERO_TLS_CERT", "a PEM file path (CARTERO_TLS_KEY is set)", "")
      : bad("CARTERO_TLS_KEY", "a PEM file path (CARTERO_TLS_CERT is set)", "")
  }
  const listeners: Array<ListenerOptions> = [{ kind: "mx", host, port: mxPort }]
  if (submissionPort !== undefined) listeners.push({ kind: "submission", host, port: submissionPort })
  if (smtpsPort !== undefined) listeners.push({ kind: "smtps", host, port: smtpsPort })
  const options: SmtpServerOptions = {
    hostname,
    listeners,
    tls: certFile !== undefined && keyFile !== undefined
      ? { certFile, keyFile }
      : { selfSigned: { dataDir: path.resolve(dataDir) } },
    ...(maxMessageSize !== undefined ? { maxMessageSize } : {}),
    ...(maxRecipients !== undefined ? { maxRecipients } : {}),
    ...(maxLineLength !== undefined ? { maxLineLength } : {}),
    ...(socketTimeout !== undefined ? { socketTimeout: socketTimeout } : {}),
    ...(shutdownTimeout !== undefined ? { shutdownTimeout: shutdownTimeout } : {}),
    ...(reverseDns !== undefined ? { reverseDns } : {})
  }
  return options
})
