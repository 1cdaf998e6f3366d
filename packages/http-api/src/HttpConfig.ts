/**
 * The HTTP server's settings (`CARTERO_*`, through `@cartero/settings`):
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `CARTERO_HTTP_PORT` | unset: no HTTP server | port of the API (0: any free port) |
 * | `CARTERO_HTTP_HOST` | `127.0.0.1` | address to bind |
 * | `CARTERO_HTTP_AUTH` | `auto` | `auto`: credentials are asked for when bound beyond loopback; `required`: always |
 * | `CARTERO_HTTP_PLAINTEXT` | `false` | allow plain HTTP beyond loopback (behind a TLS-terminating proxy) |
 * | `CARTERO_TLS_CERT`, `CARTERO_TLS_KEY` | unset | beyond loopback, the API is served over HTTPS with this pair |
 *
 * Bound beyond loopback, every endpoint but `/healthz` needs HTTP basic credentials of the users file; basic auth
 * sends the password with each request, so the server refuses to start there without TLS unless
 * `CARTERO_HTTP_PLAINTEXT=true` says that something in front provides it.
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { Data, Effect } from "effect"
import * as net from "node:net"

/** Whether requests must carry credentials. */
export type AuthMode = "none" | "basic"

/** The TLS material files. */
export interface TlsFiles {
  readonly certFile: string
  readonly keyFile: string
}

/** The resolved options of the HTTP server. */
export interface HttpOptions {
  readonly host: string
  readonly port: number
  readonly auth: AuthMode
  /** HTTPS with these files; plain HTTP when absent. */
  readonly tls: TlsFiles | undefined
}

/** The settings cannot be used together (the message says what to change). */
export class HttpConfigError extends Data.TaggedError("HttpConfigError")<{ readonly message: string }> {}

/** Whether `host` only accepts connections from this machine (127.0.0.0/8, ::1, ::ffff:127.x, localhost). */
export const isLoopback = (host: string): boolean => {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1")
  if (h === "localhost" || h === "::1") return true
  const v4 = h.startsWith("::ffff:") ? h.slice(7) : h
  return net.isIPv4(v4) && v4.startsWith("127.")
}

/** Resolves settings as read; see the module comment for the rules. */
export const resolve = (settings: {
  readonly host: string
  readonly port: number
  readonly auth: "auto" | "required"
  readonly plaintext: boolean
  readonly tls: TlsFiles | undefined
}): Effect.Effect<HttpOptions, HttpConfigError> => {
  const local = isLoopback(settings.host)
  const auth: AuthMode = settings.auth === "required" || !local ? "basic" : "none"
  if (local) return Effect.succeed({ host: settings.host, port: settings.port, auth, tls: undefined })
  if (settings.tls === undefined && !settings.plaintext) {
    return Effect.fail(new HttpConfigError({
      message: `CARTERO_HTTP_HOST=${settings.host} is beyond loopback and the API asks for passwords there: set ` +
        "CARTERO_TLS_CERT and CARTERO_TLS_KEY to serve HTTPS, or CARTERO_HTTP_PLAINTEXT=true if a proxy in front provides TLS"
    }))
  }
  return Effect.succeed({ host: settings.host, port: settings.port, auth, tls: settings.plaintext ? undefined : settings.tls })
}

const text = (s: string): string | undefined => (s.trim() === "" ? undefined : s.trim())

/** The options from the settings, or `undefined` when `CARTERO_HTTP_PORT` is unset (no HTTP server). */
export const load = Effect.gen(function*() {
  const port = yield* Setting.optional("CARTERO_HTTP_PORT", "an integer 0-65535", Setting.int(0, 65535))
  if (port === undefined) return undefined
  const host = yield* Setting.withDefault("CARTERO_HTTP_HOST", "a host address", text, "127.0.0.1")
  const auth = yield* Setting.withDefault("CARTERO_HTTP_AUTH", "auto or required", Setting.oneOf(["auto", "required"]), "auto")
  const plaintext = yield* Setting.withDefault("CARTERO_HTTP_PLAINTEXT", "true or false", Setting.boolean, false)
  const certFile = yield* Setting.optional("CARTERO_TLS_CERT", "a PEM file path", text)
  const keyFile = yield* Setting.optional("CARTERO_TLS_KEY", "a PEM file path", text)
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined
  return yield* resolve({ host, port, auth, plaintext, tls })
})
