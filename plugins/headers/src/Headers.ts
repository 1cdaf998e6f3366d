/**
 * The `headers` plugin: completes and cleans the header of submitted mail, in the `message` phase (RFC 6409 §8).
 *
 * For a submission session ({@link Submission.isSubmission}: authenticated, trusted, a submission listener or a
 * trusted network), and only then:
 * - adds `Message-ID: <random@hostname>` when the message has none (RFC 5322 §3.6.4: every message SHOULD have
 *   one; replies and duplicate detection depend on it);
 * - adds `Date:` (now, RFC 5322 form) when the message has none (RFC 5322 §3.6: it is required);
 * - removes `Bcc:` and `Resent-Bcc:`: the server stores one copy for every recipient, so a blind recipient listed
 *   there would be disclosed to all the others (RFC 5322 §3.6.3, RFC 5321 §7.2);
 * - with `privacy`, replaces the server's `Received:` field for this message (client HELO, IP address, TLS) with
 *   one that names only this server ({@link PrivateReceived}), keeping the hop count.
 *
 * A field that is present but empty counts as missing (it is replaced). Mail of other sessions (an MX receiving
 * from the Internet) is not touched. Added fields are prepended (`Message.prepend`); removals go through
 * `HeaderEdits`, on the raw octets of the header block. The plugin never refuses a message.
 *
 * ```ts
 * Headers.plugin({ hostname: "mail.example.org", privacy: true })
 * Headers.pluginConfig   // CARTERO_HOSTNAME, CARTERO_HEADERS_PRIVACY, CARTERO_HEADERS_LISTENERS, CARTERO_HEADERS_TRUSTED_NETWORKS
 * ```
 *
 * @since 0.1.0
 */
import { HeaderEdits, type Hooks, type Message, Plugin, type Session } from "@cartero/core"
import { MailDate } from "@cartero/mime"
import { Cidr } from "@cartero/plugin-local-domains"
import { Setting } from "@cartero/settings"
import { Header, Verdict } from "@cartero/smtp"
import { Clock, Config, ConfigProvider, Data, Effect, Result } from "effect"
import { randomUUID } from "node:crypto"
import * as os from "node:os"
import * as PrivateReceived from "./PrivateReceived.ts"
import * as Submission from "./Submission.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "headers"

/** Options, in code. */
export interface Options {
  /**
   * The host name in generated `Message-ID`s and in the privacy `Received:` field: the server's name. Default the
   * OS host name.
   */
  readonly hostname?: string | undefined
  /** Replace the server's `Received:` field of submitted mail by one without the client's name and address. Default false. */
  readonly privacy?: boolean | undefined
  /** Listener kinds whose sessions are all submission. Default `["submission", "smtps"]`. */
  readonly listeners?: ReadonlyArray<Session.ListenerKind> | undefined
  /** CIDR networks whose clients submit without AUTH (`10.0.0.0/8`, `::1/128`). Default none. */
  readonly trustedNetworks?: ReadonlyArray<string> | undefined
}

/** The validated options. */
export interface Policy {
  readonly hostname: string
  readonly privacy: boolean
  readonly clients: Submission.Clients
}

/** An option that cannot be used; the pipeline layer (start-up) fails with it. */
export class HeadersOptionError extends Data.TaggedError("HeadersOptionError")<{
  readonly option: "hostname" | "trustedNetworks"
  readonly detail: string
}> {
  override get message(): string {
    return `plugin ${name}: option ${this.option}: ${this.detail}`
  }
}

/** A host name usable as the right side of a msg-id (a dot-atom, RFC 5322 §3.6.4). */
const hostnamePattern = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** Whether `s` can be the host name of generated fields. */
export const isHostname = (s: string): boolean => hostnamePattern.test(s)

/** Validates options into a {@link Policy}. */
export const policy = (options: Options): Result.Result<Policy, HeadersOptionError> => {
  const hostname = options.hostname ?? os.hostname()
  if (!isHostname(hostname)) {
    return Result.fail(new HeadersOptionError({ option: "hostname", detail: `${JSON.stringify(hostname)} is not a host name` }))
  }
  const networks = Cidr.parseList(options.trustedNetworks ?? [])
  if (Result.isFailure(networks)) return Result.fail(new HeadersOptionError({ option: "trustedNetworks", detail: networks.failure.message }))
  return Result.succeed({
    hostname,
    privacy: options.privacy ?? false,
    clients: { listeners: options.listeners ?? Submission.defaultListeners, trustedNetworks: networks.success }
  })
}

/** A new msg-id on `hostname`: 122 random bits, so it is unique without coordination. */
export const messageId = (hostname: string): string => `<${randomUUID()}@${hostname}>`

const blank = (value: string | undefined): boolean => value === undefined || value.trim() === ""
const isBlank = (value: string): boolean => value.trim() === ""

/** The fields that hide blind recipients (RFC 5322 §3.6.3, §3.6.6). */
const blindFields = ["Bcc", "Resent-Bcc"] as const

/** The `message` hook for a policy: what it adds, and the removals it asks for. */
const onMessage = (policy: Policy) =>
  Effect.fnUntraced(function*(transaction: Session.Transaction, message: Message.Message) {
    const connection = transaction.connection
    if (!Submission.isSubmission(policy.clients, connection)) return Verdict.next
    const now = new Date(yield* Clock.currentTimeMillis)
    const added: Array<Header.Header> = []
    if (policy.privacy) {
      // Removed and replaced in one verdict: the server removes before it prepends this hook's fields.
      yield* HeaderEdits.remove(transaction, { name: "Received", where: "added", matches: PrivateReceived.isOwn(transaction.id) })
      added.push(Header.make("Received", PrivateReceived.value(policy.hostname, connection, transaction.id, now)))
    }
    for (const field of blindFields) yield* HeaderEdits.remove(transaction, { name: field })
    if (blank(message.headers.get("Message-ID"))) {
      // An empty field is replaced, not doubled (RFC 5322 allows one Message-ID).
      yield* HeaderEdits.remove(transaction, { name: "Message-ID", matches: isBlank })
      added.push(Header.make("Message-ID", messageId(policy.hostname)))
    }
    if (blank(message.headers.get("Date"))) {
      yield* HeaderEdits.remove(transaction, { name: "Date", matches: isBlank })
      added.push(Header.make("Date", MailDate.format(now)))
    }
    return added.length === 0 ? Verdict.next : Verdict.continueWith(added)
  })

/** The hooks for a validated policy. */
export const hooks = (policy: Policy): Hooks.Hooks => ({ message: onMessage(policy) })

/** The plugin, configured in code. A bad option fails the pipeline layer (start-up) with {@link HeadersOptionError}. */
export const plugin = (options: Options = {}): Plugin.Plugin<HeadersOptionError> =>
  Plugin.make(
    name,
    Effect.suspend(() => {
      const validated = policy(options)
      return Result.isSuccess(validated) ? Effect.succeed(hooks(validated.success)) : Effect.fail(validated.failure)
    })
  )

/** The environment variable behind each option. */
export const variables = {
  hostname: "CARTERO_HOSTNAME",
  privacy: "CARTERO_HEADERS_PRIVACY",
  listeners: "CARTERO_HEADERS_LISTENERS",
  trustedNetworks: "CARTERO_HEADERS_TRUSTED_NETWORKS"
} as const

const listenerKinds = ["mx", "submission", "smtps"] as const

const parseListeners: Setting.Parser<ReadonlyArray<Session.ListenerKind>> = (raw) => {
  const kinds: Array<Session.ListenerKind> = []
  for (const item of Setting.list(raw)) {
    const kind = Setting.oneOf(listenerKinds)(item)
    if (kind === undefined) return undefined
    kinds.push(kind)
  }
  return kinds
}

const parseNetworks: Setting.Parser<ReadonlyArray<string>> = (raw) => {
  const items = Setting.list(raw)
  return Result.isSuccess(Cidr.parseList(items)) ? items : undefined
}

/** A `Config` that reads and validates the whole {@link Policy}; errors name the variable. */
export const config: Config.Config<Policy> = Config.all({
  hostname: Setting.config(variables.hostname, "a host name", (s) => (isHostname(s.trim()) ? s.trim() : undefined)).pipe(
    Config.withDefault(os.hostname())
  ),
  privacy: Setting.config(variables.privacy, "true or false", Setting.boolean).pipe(Config.withDefault(false)),
  listeners: Setting.config(variables.listeners, "a comma-separated list of mx, submission, smtps", parseListeners).pipe(
    Config.withDefault(Submission.defaultListeners)
  ),
  trustedNetworks: Setting.config(
    variables.trustedNetworks,
    "a comma-separated list of CIDR networks such as 10.0.0.0/8,::1/128",
    parseNetworks
  ).pipe(Config.withDefault<ReadonlyArray<string>>([]))
}).pipe(
  Config.mapEffect((options) => {
    const validated = policy(options)
    return Result.isSuccess(validated)
      ? Effect.succeed(validated.success)
      : Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message: validated.failure.message })))
  })
)

/**
 * The plugin, configured from the environment when the pipeline is built: `CARTERO_HOSTNAME` (default the OS host
 * name), `CARTERO_HEADERS_PRIVACY` (default false), `CARTERO_HEADERS_LISTENERS` (default `submission,smtps`),
 * `CARTERO_HEADERS_TRUSTED_NETWORKS` (default none).
 */
export const pluginConfig: Plugin.Plugin<Config.ConfigError> = Plugin.make(
  name,
  Effect.gen(function*() {
    return hooks(yield* config)
  })
)
