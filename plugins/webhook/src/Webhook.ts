/**
 * The `webhook` outbound plugin: delivers the queued mail of chosen domains to an HTTP endpoint instead of routing
 * it by MX. One POST per message and destination domain, carrying the metadata and the raw message
 * ({@link Payload}: JSON, or multipart), signed with HMAC-SHA256 ({@link Signature}, the Standard Webhooks scheme).
 *
 * It is a `route` hook that answers with a delivery transport, so the message is in the durable queue until the
 * endpoint has taken it, and every failure is a queue outcome:
 *
 * | the endpoint | outcome |
 * |---|---|
 * | 2xx | delivered (every recipient of the POST) |
 * | no connection, a timeout (`timeout`, 30 s by default), a broken response | deferred `451 4.4.1` / `4.4.2`, retried by the retry policy |
 * | 408, 429, any 5xx, a 3xx (redirects are not followed), a 1xx or any other code | deferred `451 4.3.0 … HTTP 503` |
 * | any other 4xx (400, 401, 403, 404, 410, 413, 422…) | failed `554 5.3.0 … HTTP 400`, a DSN to the sender |
 *
 * A 4xx says the request itself is wrong (the receiver refuses this message, or our credentials or URL are wrong):
 * sending it again would get the same answer, so it is permanent, as a 5yz in SMTP; 408 (request timeout) and 429
 * (too many requests) are the client errors that say "later". A wrong secret (401/403) therefore bounces: test
 * the endpoint before pointing mail at it. Until the queue's maximum age, a deferred message is retried on the
 * retry schedule (`Retry-After` is not read).
 *
 * Delivery is at-least-once: a crash between the endpoint's 2xx and the queue's record of it, or a 2xx lost on the
 * way back, sends the same delivery again, with the same `webhook-id`; receivers deduplicate on it.
 *
 * ```ts
 * outbound: [Webhook.pluginConfig, ...defaults.outbound]
 * // CARTERO_WEBHOOK_URL=https://hooks.example/mail CARTERO_WEBHOOK_SECRET=… CARTERO_WEBHOOK_DOMAINS=hooks.example
 * ```
 *
 * @since 0.1.0
 */
import { DeliveryResult, OutboundHooks, Transport } from "@cartero/delivery"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { Setting } from "@cartero/settings"
import { SmtpReply } from "@cartero/smtp"
import { Clock, Config, Duration, Effect, Option, Redacted, type Scope } from "effect"
import * as http from "node:http"
import * as https from "node:https"
import * as Payload from "./Payload.ts"
import * as Signature from "./Signature.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "webhook"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** The endpoint, `http:` or `https:` ({@link parseUrl}). */
  readonly url: URL
  /** The signing secret (`whsec_<base64>` or any text; see {@link Signature.key}). */
  readonly secret: Redacted.Redacted<string>
  /** The domains whose mail goes there (lower case, ASCII). */
  readonly domains: ReadonlyArray<string>
  /** Default `json`. */
  readonly format?: Payload.Format
  /** The whole POST, connection to response, must take at most this. Default 30 seconds. */
  readonly timeout?: Duration.Input
  /** Trusted CA certificates (PEM) for an `https:` endpoint with a private CA. Default: Node's. */
  readonly ca?: string | Buffer
}

/** An `http:` or `https:` URL without a fragment. */
export const parseUrl: Setting.Parser<URL> = (raw) => {
  if (!URL.canParse(raw.trim())) return undefined
  const url = new URL(raw.trim())
  return (url.protocol === "http:" || url.protocol === "https:") && url.hash === "" ? url : undefined
}

/** The endpoint as logs and replies show it: no credentials, no query (either may hold a token). */
export const describe = (url: URL): string => `${url.origin}${url.pathname}`

/** What the endpoint answered. */
interface Answer {
  readonly status: number
  readonly reason: string
  /** The first octets of the response body, for the reply text. */
  readonly body: string
}

/** The POST did not get an answer. */
interface NoAnswer {
  readonly reason: "unreachable" | "timeout"
  readonly detail: string
}

/** Octets of the response body kept for the reply text (the rest is read and dropped). */
const keptBody = 200

/** One POST, bounded by `timeoutMillis` from start to the end of the response. */
const post = (agent: http.Agent, url: URL, headers: Record<string, string>, body: Uint8Array, timeoutMillis: number, ca: string | Buffer | undefined) =>
  Effect.callback<Answer, NoAnswer>((resume) => {
    let done = false
    const finish = (outcome: Effect.Effect<Answer, NoAnswer>) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resume(outcome)
    }
    const options: https.RequestOptions = { method: "POST", agent, headers: { ...headers, "content-length": String(body.length) }, ...(ca !== undefined ? { ca } : {}) }
    const request = url.protocol === "https:" ? https.request(url, options) : http.request(url, options)
    const timer = setTimeout(() => {
      finish(Effect.fail({ reason: "timeout", detail: `no complete response within ${timeoutMillis} ms` }))
      request.destroy()
    }, timeoutMillis)
    request.on("error", (e: NodeJS.ErrnoException) => finish(Effect.fail({ reason: "unreachable", detail: e.code ?? e.message })))
    request.on("response", (response) => {
      let kept = ""
      response.setEncoding("utf8")
      response.on("data", (chunk: string) => {
        if (kept.length < keptBody) kept += chunk.slice(0, keptBody - kept.length)
      })
      response.on("error", (e) => finish(Effect.fail({ reason: "unreachable", detail: `response broken: ${e.message}` })))
      response.on("end", () => finish(Effect.succeed({ status: response.statusCode ?? 0, reason: response.statusMessage ?? "", body: kept })))
    })
    request.end(body)
    return Effect.sync(() => {
      done = true
      clearTimeout(timer)
      request.destroy()
    })
  })

/** Whether a status is a "try later": 408, 429, and everything but 2xx and 4xx. */
export const isTemporary = (status: number): boolean => status === 408 || status === 429 || status < 400 || status >= 500

/** The reply recorded for what the endpoint answered (see the module's table). */
export const replyOf = (where: string, answer: Answer): SmtpReply.SmtpReply => {
  const said = answer.body.split(/\r?\n/)[0]?.trim().slice(0, 100) ?? ""
  const status = `HTTP ${answer.status}${answer.reason === "" ? "" : ` ${answer.reason}`}${said === "" ? "" : `: ${said}`}`
  if (answer.status >= 200 && answer.status < 300) return SmtpReply.make(250, "2.0.0", `webhook ${where} accepted the message: ${status}`)
  if (isTemporary(answer.status)) return SmtpReply.make(451, "4.3.0", `webhook ${where} answered ${status}`)
  return SmtpReply.make(554, "5.3.0", `webhook ${where} refused the message: ${status}`)
}

/** The webhook transport; its keep-alive connections close with the scope. */
export const transport = Effect.fnUntraced(function*(options: Omit<Options, "domains">): Effect.fn.Return<Transport.Transport, never, Scope.Scope> {
  const agent = yield* Effect.acquireRelease(Effect.sync(() => new https.Agent({ keepAlive: true })), (a) => Effect.sync(() => a.destroy()))
  const plainAgent = yield* Effect.acquireRelease(Effect.sync(() => new http.Agent({ keepAlive: true })), (a) => Effect.sync(() => a.destroy()))
  const where = describe(options.url)
  const format = options.format ?? "json"
  const timeoutMillis = Duration.toMillis(Duration.fromInputUnsafe(options.timeout ?? "30 seconds"))
  return Transport.make(`webhook:${where}`, (request) =>
    Effect.gen(function*() {
      const meta = Payload.metadata(request.context.messageId, request.context.domain, request.envelope, request.message.length)
      const body = Payload.encode(format, meta, request.message)
      const timestamp = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const headers = {
        "content-type": body.contentType,
        "user-agent": "Cartero",
        [Signature.headers.id]: meta.id,
        [Signature.headers.timestamp]: String(timestamp),
        [Signature.headers.signature]: Signature.sign(options.secret, meta.id, timestamp, body.bytes)
      }
      const answer = yield* Effect.result(post(options.url.protocol === "https:" ? agent : plainAgent, options.url, headers, body.bytes, timeoutMillis, options.ca))
      const reply = answer._tag === "Success"
        ? replyOf(where, answer.success)
        : answer.failure.reason === "timeout"
        ? SmtpReply.make(451, "4.4.2", `webhook ${where}: ${answer.failure.detail}`)
        : SmtpReply.make(451, "4.4.1", `webhook ${where} unreachable: ${answer.failure.detail}`)
      const result: DeliveryResult.TransactionResult = {
        remote: { host: options.url.hostname, port: Number(options.url.port) || (options.url.protocol === "https:" ? 443 : 80), address: undefined, greetingName: undefined, tls: undefined },
        // Written here from an HTTP status, not an SMTP server's words: synthetic (no DSN Remote-MTA).
        recipients: DeliveryResult.all(request.envelope.recipients, reply, answer._tag === "Success" ? "message" : "connect", true),
        reusedConnection: false
      }
      return result
    }))
})

const hooks = (options: Options) =>
  Effect.gen(function*() {
    const via = yield* transport(options)
    return { route: OutboundHooks.routeDomains(options.domains, via) }
  })

/** The plugin, configured in code. */
export const plugin = (options: Options): OutboundHooks.OutboundPlugin => OutboundHooks.make(name, hooks(options))

// ---------------------------------------------------------------------------------------------------------------
// From the environment

/** The environment variable behind each option. */
export const variables = {
  url: "CARTERO_WEBHOOK_URL",
  secret: "CARTERO_WEBHOOK_SECRET",
  domains: "CARTERO_WEBHOOK_DOMAINS",
  format: "CARTERO_WEBHOOK_FORMAT",
  timeout: "CARTERO_WEBHOOK_TIMEOUT"
} as const

/** Shorter secrets are refused: an HMAC key should not be guessable. */
export const minimumSecretLength = 16

/**
 * The options from `CARTERO_WEBHOOK_URL` and `CARTERO_WEBHOOK_SECRET` (both required; the secret is read as
 * `Redacted`, at least 16 characters), `CARTERO_WEBHOOK_DOMAINS` (default: `CARTERO_LOCAL_DOMAINS`),
 * `CARTERO_WEBHOOK_FORMAT` (`json` or `multipart`, default `json`) and `CARTERO_WEBHOOK_TIMEOUT` (default `30s`).
 */
export const config: Config.Config<Options> = Config.all({
  url: Setting.config(variables.url, "an http: or https: URL", parseUrl),
  secret: Config.Redacted(variables.secret).pipe(
    Config.mapEffect((secret: Redacted.Redacted<string>) =>
      Redacted.value(secret).length >= minimumSecretLength
        ? Effect.succeed(secret)
        : Effect.fail(Setting.toConfigError(new Setting.InvalidSetting({ variable: variables.secret, expected: `at least ${minimumSecretLength} characters`, got: "<redacted>" })))
    )
  ),
  domains: Config.option(Setting.config(variables.domains, "a comma-separated list of domain names", (raw) => {
    const list = Setting.list(raw).map((d) => d.toLowerCase())
    return list.length > 0 ? list : undefined
  })),
  format: Setting.config(variables.format, "json or multipart", Setting.oneOf(["json", "multipart"])).pipe(Config.withDefault<Payload.Format>("json")),
  timeout: Setting.config(variables.timeout, "a duration such as 30s", Setting.duration).pipe(Config.withDefault(Duration.seconds(30))),
  local: LocalDomains.config
}).pipe(Config.map(({ domains, format, local, secret, timeout, url }) => ({
  url,
  secret,
  domains: Option.getOrElse(domains, () => local.domains),
  format,
  timeout
})))

/** The plugin, configured from the environment when the outbound pipeline is built. */
export const pluginConfig: OutboundHooks.OutboundPlugin<Config.ConfigError> = OutboundHooks.make(
  name,
  Effect.flatMap(config, hooks)
)
