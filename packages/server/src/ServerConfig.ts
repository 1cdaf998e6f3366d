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
 * - durations are a number and a unit: `ms`, `s`, `m`, `h`, `d`, `w` (`300s`, `5m`); a bare number is seconds;
 * - the parsers and the error are the shared ones of `Setting` in `@cartero/core`, so every package words a bad
 *   value the same way;
 * - `CARTERO_SUBMISSION_PORT` and `CARTERO_SMTPS_PORT` are off unless set: a development server then only
 *   listens on the MX port, and opening an authenticated port is an explicit operator decision;
 * - without `CARTERO_TLS_CERT`/`CARTERO_TLS_KEY`, a self-signed pair is generated in `<CARTERO_DATA_DIR>/tls/`;
 * - messages larger than `CARTERO_SPILL_THRESHOLD` (256K) are spilled to `<CARTERO_DATA_DIR>/spill/`;
 * - the connection and session limits (`CARTERO_MAX_CLIENTS` … `CARTERO_AUTH_FAILURE_WINDOW`) are optional: unset
 *   ones keep `ServerOptions.defaultLimits`, finite all of them (docs/decisions/connection-and-session-limits.md).
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { type Config, Duration, Effect } from "effect"
import * as os from "node:os"
import * as path from "node:path"
import type { ListenerOptions, SmtpServerOptions } from "./ServerOptions.ts"
import * as ProxyTrust from "./ProxyTrust.ts"
import * as ServerOptions from "./ServerOptions.ts"

/**
 * A configuration variable has a value the server cannot use: the shared {@link Setting.InvalidSetting}
 * (tag `InvalidSetting`), under the name this package has always exported.
 */
export const ServerConfigError = Setting.InvalidSetting
/** See {@link ServerConfigError}. */
export type ServerConfigError = Setting.InvalidSetting

/** Parses a size: `1048576`, `512K`, `10M`, `10MB`, `10MiB`, `1G` (binary multiples); {@link Setting.size}. */
export const parseSize: Setting.Parser<number> = Setting.size

/** A duration ({@link Setting.duration}) as whole milliseconds, more than zero: the server's timeouts are numbers. */
const millis: Setting.Parser<number> = (raw) => {
  const duration = Setting.duration(raw)
  const ms = duration === undefined ? 0 : Duration.toMillis(duration)
  return Number.isSafeInteger(ms) && ms > 0 ? ms : undefined
}

/** Like {@link millis}, zero included, at most `max` milliseconds. */
const millisUpTo = (max: number): Setting.Parser<number> => (raw) => {
  const duration = Setting.duration(raw)
  const ms = duration === undefined ? -1 : Duration.toMillis(duration)
  return Number.isSafeInteger(ms) && ms >= 0 && ms <= max ? ms : undefined
}

const count = (max: number) => [`an integer 1-${max}`, Setting.int(1, max)] as const

/**
 * The connection and session limits (docs/configuration.md, "Limits"). Unset ones keep the defaults of
 * `ServerOptions.defaultLimits`; the soft error limit may not be above the hard one.
 */
const loadLimits = Effect.gen(function*() {
  const maxClients = yield* optional("CARTERO_MAX_CLIENTS", ...count(1_000_000))
  const maxClientsPerIp = yield* optional("CARTERO_MAX_CLIENTS_PER_IP", ...count(1_000_000))
  const maxConnectionRate = yield* optional("CARTERO_CONNECTION_RATE_LIMIT", ...count(1_000_000))
  const hardErrorLimit = yield* optional("CARTERO_HARD_ERROR_LIMIT", ...count(1000))
  const hard = hardErrorLimit ?? ServerOptions.defaultLimits.hardErrorLimit
  const softErrorLimit = yield* optional(
    "CARTERO_SOFT_ERROR_LIMIT",
    `an integer 1-${hard} (at most CARTERO_HARD_ERROR_LIMIT)`,
    Setting.int(1, hard)
  )
  const errorSleep = yield* optional("CARTERO_ERROR_SLEEP", "a duration of at most 1m such as 1s or 500ms", millisUpTo(60_000))
  const junkCommandLimit = yield* optional("CARTERO_JUNK_COMMAND_LIMIT", ...count(100_000))
  const dataTimeout = yield* optional("CARTERO_DATA_TIMEOUT", "a duration such as 10m", millis)
  const sessionTimeout = yield* optional("CARTERO_SESSION_TIMEOUT", "a duration such as 1h", millis)
  const authFailureLimit = yield* optional("CARTERO_AUTH_FAILURE_LIMIT", ...count(100_000))
  const authFailureWindow = yield* optional("CARTERO_AUTH_FAILURE_WINDOW", "a duration such as 10m", millis)
  const limits: SmtpServerOptions = {
    ...(maxClients !== undefined ? { maxClients } : {}),
    ...(maxClientsPerIp !== undefined ? { maxClientsPerIp } : {}),
    ...(maxConnectionRate !== undefined ? { maxConnectionRate } : {}),
    ...(softErrorLimit !== undefined ? { softErrorLimit } : {}),
    ...(hardErrorLimit !== undefined ? { hardErrorLimit } : {}),
    ...(errorSleep !== undefined ? { errorSleep } : {}),
    ...(junkCommandLimit !== undefined ? { junkCommandLimit } : {}),
    ...(dataTimeout !== undefined ? { dataTimeout } : {}),
    ...(sessionTimeout !== undefined ? { sessionTimeout } : {}),
    ...(authFailureLimit !== undefined ? { authFailureLimit } : {}),
    ...(authFailureWindow !== undefined ? { authFailureWindow } : {})
  }
  return limits
})

const optional = Setting.optional

const listenerKinds = ["mx", "submission", "smtps"] as const

/**
 * PROXY protocol: `CARTERO_PROXY_PROTOCOL_LISTENERS` (listener kinds), `CARTERO_PROXY_TRUSTED` (CIDR list, required
 * with the former), `CARTERO_PROXY_TIMEOUT` (default 5s). Off when no listener is named.
 */
const loadProxyProtocol = Effect.gen(function*() {
  const listeners = yield* optional(
    "CARTERO_PROXY_PROTOCOL_LISTENERS",
    "a comma-separated list of listener kinds (mx, submission, smtps)",
    (raw) => {
      const kinds = Setting.list(raw)
      return kinds.every((k) => (listenerKinds as ReadonlyArray<string>).includes(k))
        ? kinds as ReadonlyArray<ServerOptions.ListenerKind>
        : undefined
    }
  )
  const trusted = yield* optional(
    "CARTERO_PROXY_TRUSTED",
    "a comma-separated list of CIDR networks or addresses such as 10.0.0.0/8,::1",
    (raw) => {
      const entries = Setting.list(raw)
      return entries.length > 0 && ProxyTrust.invalidEntries(entries).length === 0 ? entries : undefined
    }
  )
  const timeout = yield* optional("CARTERO_PROXY_TIMEOUT", "a duration of at most 1m such as 5s", millisUpTo(60_000))
  if (listeners === undefined || listeners.length === 0) return undefined
  if (trusted === undefined) {
    return yield* bad("CARTERO_PROXY_TRUSTED", "the load balancers' addresses (CARTERO_PROXY_PROTOCOL_LISTENERS is set)", "")
  }
  const options: ServerOptions.ProxyProtocolOptions = {
    listeners,
    trusted,
    ...(timeout !== undefined && timeout > 0 ? { timeout } : {})
  }
  return options
})
const bad = (variable: string, expected: string, got: string) => new Setting.InvalidSetting({ variable, expected, got })

const port = "an integer 0-65535"

/**
 * Reads the options from the environment. Fails with {@link ServerConfigError} for a bad value, and with
 * `Config.ConfigError` only if the provider itself fails.
 */
export const load: Effect.Effect<SmtpServerOptions, ServerConfigError | Config.ConfigError> = Effect.gen(function*() {
  const host = (yield* optional("CARTERO_SMTP_HOST", "a host address", (s) => (s.trim() === "" ? undefined : s.trim())))
    ?? ServerOptions.defaultHost
  const mxPort = (yield* optional("CARTERO_SMTP_PORT", port, Setting.int(0, 65535))) ?? ServerOptions.defaultMxPort()
  const submissionPort = yield* optional("CARTERO_SUBMISSION_PORT", port, Setting.int(0, 65535))
  const smtpsPort = yield* optional("CARTERO_SMTPS_PORT", port, Setting.int(0, 65535))
  const hostname = (yield* optional("CARTERO_HOSTNAME", "a host name", (s) => (/^[A-Za-z0-9.-]{1,253}$/.test(s.trim()) ? s.trim() : undefined)))
    ?? os.hostname()
  const dataDir = (yield* optional("CARTERO_DATA_DIR", "a directory path", (s) => (s === "" ? undefined : s))) ?? "./data"
  const maxMessageSize = yield* optional("CARTERO_MAX_MESSAGE_SIZE", "a size in bytes such as 26214400, 512K or 25M", Setting.size)
  const maxRecipients = yield* optional("CARTERO_MAX_RECIPIENTS", "an integer 1-100000", Setting.int(1, 100_000))
  const maxHops = yield* optional("CARTERO_MAX_HOPS", "an integer 1-1000", Setting.int(1, 1000))
  const spillThreshold = yield* optional("CARTERO_SPILL_THRESHOLD", "a size such as 256K or 1M (at least 16K)", (s) => {
    const n = Setting.size(s)
    return n !== undefined && n >= 16 * 1024 ? n : undefined
  })
  const maxLineLength = yield* optional("CARTERO_MAX_LINE_LENGTH", "an integer 512-65536", Setting.int(512, 65_536))
  const socketTimeout = yield* optional("CARTERO_SMTP_TIMEOUT", "a duration such as 300s or 5m", millis)
  const shutdownTimeout = yield* optional("CARTERO_SHUTDOWN_TIMEOUT", "a duration such as 10s", millis)
  const reverseDns = yield* optional("CARTERO_REVERSE_DNS", "true or false", Setting.boolean)
  const dsn = yield* optional("CARTERO_SMTP_DSN", "true or false", Setting.boolean)
  const chunking = yield* optional("CARTERO_CHUNKING", "true or false", Setting.boolean)
  const binaryMime = yield* optional("CARTERO_BINARYMIME", "true or false", Setting.boolean)
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
  const limits = yield* loadLimits
  const proxyProtocol = yield* loadProxyProtocol
  const options: SmtpServerOptions = {
    hostname,
    listeners,
    tls: certFile !== undefined && keyFile !== undefined
      ? { certFile, keyFile }
      : { selfSigned: { dataDir: path.resolve(dataDir) } },
    ...(maxMessageSize !== undefined ? { maxMessageSize } : {}),
    ...(maxRecipients !== undefined ? { maxRecipients } : {}),
    ...(maxHops !== undefined ? { maxHops } : {}),
    ...(spillThreshold !== undefined ? { spillThreshold } : {}),
    // Spilled messages stay on the data directory's file system (the OS temporary directory is often a tmpfs: RAM).
    spillDir: path.resolve(dataDir, "spill"),
    ...(maxLineLength !== undefined ? { maxLineLength } : {}),
    ...(socketTimeout !== undefined ? { socketTimeout: socketTimeout } : {}),
    ...(shutdownTimeout !== undefined ? { shutdownTimeout: shutdownTimeout } : {}),
    ...(reverseDns !== undefined ? { reverseDns } : {}),
    ...(dsn !== undefined ? { dsn } : {}),
    ...(chunking !== undefined ? { chunking } : {}),
    ...(binaryMime !== undefined ? { binaryMime } : {}),
    ...(proxyProtocol !== undefined ? { proxyProtocol } : {}),
    ...limits
  }
  return options
})
