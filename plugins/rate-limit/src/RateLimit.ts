/**
 * The `rate-limit` plugin: sliding-window limits on what one client, one user or one sender domain may send,
 * counted in the app's `PolicyStore` (Redis: shared by every process and host; otherwise this process's memory).
 *
 * | limit | counted at | over the limit |
 * |---|---|---|
 * | `perClient.connections` (client address; IPv6 per /64) | `connect` | `421 4.7.0 Too many connections from <client>, try again in N s`, connection closed |
 * | `perClient.messages`, `perUser.messages`, `perSenderDomain.messages` | `mailFrom` | `450 4.7.1 Too many messages from <who>, try again in N s` |
 * | `perClient.recipients`, `perUser.recipients`, `perSenderDomain.recipients` | `rcptTo` | `450 4.7.1 Too many recipients from <who>, try again in N s` |
 * | `recipientsPerMessage` | `rcptTo` | `452 4.5.3 Too many recipients for one message (at most N), send the rest in another` |
 *
 * Refused attempts are not counted, so a client that waits as told gets through. Clients in `trustedNetworks`
 * (and connections on a listener marked trusted) are never limited. An authenticated client is limited per user
 * (`perUser`) and by `recipientsPerMessage` only: its address and its sender domain (ours) say nothing about who it
 * is. Sender domains are as claimed in MAIL FROM (put SPF in front to trust them); the null sender has none.
 *
 * Place it before the plugins that accept recipients (`local-domains`): `rcptTo` is decided by the first plugin that
 * does not continue. A store that fails (Redis down) lets mail through and logs a warning: a limiter outage must not
 * stop mail.
 *
 * @since 0.1.0
 */
import { type Hooks, Plugin, type Session } from "@cartero/core"
import { Cidr } from "@cartero/plugin-local-domains"
import { type Counters, PolicyStore, type PolicyStoreError, type SlidingWindow } from "@cartero/policy-store"
import { Setting } from "@cartero/settings"
import { type Envelope, Verdict } from "@cartero/smtp"
import { Config, ConfigProvider, Effect, Option, Result } from "effect"
import * as ClientNetwork from "./ClientNetwork.ts"
import * as Rate from "./Rate.ts"

/** The plugin's name (logs, spans) and its namespace in the policy store. */
export const name = "rate-limit"

/** Limits on messages and recipients per window. */
export interface Volume {
  readonly messages?: Rate.Rate | undefined
  readonly recipients?: Rate.Rate | undefined
}

/** Options, given in code (or in `cartero.config.ts`). Every limit is optional; none set, the plugin does nothing. */
export interface Options {
  /** Per client address (IPv6: per /64); `connections` applies to every client, the others to unauthenticated ones. */
  readonly perClient?: (Volume & { readonly connections?: Rate.Rate | undefined }) | undefined
  /** Per authenticated user. */
  readonly perUser?: Volume | undefined
  /** Per sender domain (MAIL FROM's domain, as claimed), unauthenticated clients only. */
  readonly perSenderDomain?: Volume | undefined
  /** Most recipients in one message, for everyone not trusted. */
  readonly recipientsPerMessage?: number | undefined
  /** Networks never limited (CIDR: `10.0.0.0/8`, `2001:db8::/32`). */
  readonly trustedNetworks?: ReadonlyArray<string> | undefined
}

/** The replies this plugin sends (`hint` is `try again in N s`). */
export const replies = {
  connections: (client: string, hint: string) => Verdict.disconnect("4.7.0", `Too many connections from ${client}, ${hint}`),
  messages: (who: string, hint: string) => Verdict.defer("4.7.1", `Too many messages from ${who}, ${hint}`, { code: 450 }),
  recipients: (who: string, hint: string) => Verdict.defer("4.7.1", `Too many recipients from ${who}, ${hint}`, { code: 450 }),
  recipientsPerMessage: (max: number) =>
    Verdict.defer("4.5.3", `Too many recipients for one message (at most ${max}), send the rest in another`, { code: 452 })
} as const

interface Limit {
  readonly rate: Rate.Rate
  readonly window: SlidingWindow.Window
}

const limitOf = (rate: Rate.Rate | undefined, option: string): Limit | undefined =>
  rate === undefined ? undefined : { rate, window: Rate.toWindow(rate, option) }

/** Options checked once, at build. */
interface Policy {
  readonly connections: Limit | undefined
  readonly client: { readonly messages: Limit | undefined; readonly recipients: Limit | undefined }
  readonly user: { readonly messages: Limit | undefined; readonly recipients: Limit | undefined }
  readonly senderDomain: { readonly messages: Limit | undefined; readonly recipients: Limit | undefined }
  readonly recipientsPerMessage: number | undefined
  readonly trusted: ReadonlyArray<Cidr.Cidr>
}

const compile = (options: Options): Result.Result<Policy, Cidr.CidrError> => {
  const trusted = Cidr.parseList(options.trustedNetworks ?? [])
  if (Result.isFailure(trusted)) return Result.fail(trusted.failure)
  const max = options.recipientsPerMessage
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw new TypeError(`rate limit recipientsPerMessage: expected a whole number of at least 1, got ${max}`)
  }
  return Result.succeed({
    connections: limitOf(options.perClient?.connections, "perClient.connections"),
    client: {
      messages: limitOf(options.perClient?.messages, "perClient.messages"),
      recipients: limitOf(options.perClient?.recipients, "perClient.recipients")
    },
    user: {
      messages: limitOf(options.perUser?.messages, "perUser.messages"),
      recipients: limitOf(options.perUser?.recipients, "perUser.recipients")
    },
    senderDomain: {
      messages: limitOf(options.perSenderDomain?.messages, "perSenderDomain.messages"),
      recipients: limitOf(options.perSenderDomain?.recipients, "perSenderDomain.recipients")
    },
    recipientsPerMessage: max,
    trusted: trusted.success
  })
}

/** One subject to count against: its key in the store, how a reply names it, and its limit. */
interface Subject {
  readonly key: string
  readonly label: string
  readonly limit: Limit | undefined
}

/** Builds the hooks over `counters`. */
const hooks = (policy: Policy, counters: Counters.Counters): Hooks.Hooks => {
  const exempt = (connection: Session.Connection) =>
    connection.trusted || Cidr.containsAny(policy.trusted, connection.remoteAddress)
  const clientKey = (connection: Session.Connection) => ClientNetwork.of(connection.remoteAddress) ?? connection.remoteAddress

  /** The first subject over its limit (each fitting one is counted), or `undefined`. */
  const firstOver = (kind: string, subjects: ReadonlyArray<Subject>) =>
    Effect.gen(function*() {
      for (const s of subjects) {
        if (s.limit === undefined) continue
        const outcome = yield* counters.hit(`${kind}:${s.key}`, s.limit.window)
        if (!outcome.allowed) return { subject: s, hint: Rate.hint(outcome.retryAfterMillis) }
      }
      return undefined
    })

  /** The subjects of a transaction: the user when authenticated; else the client and the sender domain. */
  const subjects = (txn: Session.Transaction, pick: (v: Policy["client"]) => Limit | undefined): ReadonlyArray<Subject> => {
    const connection = txn.connection
    if (connection.user !== undefined) {
      const user = connection.user.toLowerCase()
      return [{ key: `user:${user}`, label: `user ${user}`, limit: pick(policy.user) }]
    }
    const client = clientKey(connection)
    const domain = txn.mailFrom?.domain.toLowerCase()
    return [
      { key: `client:${client}`, label: client, limit: pick(policy.client) },
      ...(domain === undefined ? [] : [{ key: `domain:${domain}`, label: `sender domain ${domain}`, limit: pick(policy.senderDomain) }])
    ]
  }

  /** A store failure lets the mail through, logged. */
  const failOpen = (phase: string) => (error: PolicyStoreError) =>
    Effect.logWarning("rate limit not checked: the policy store failed", error.message).pipe(
      Effect.annotateLogs({ plugin: name, phase }),
      Effect.as(Verdict.next)
    )

  return {
    connect: (connection) => {
      const limit = policy.connections
      if (limit === undefined || exempt(connection)) return Effect.succeed(Verdict.next)
      const client = clientKey(connection)
      return Effect.map(counters.hit(`conn:client:${client}`, limit.window), (o) =>
        o.allowed ? Verdict.next : replies.connections(client, Rate.hint(o.retryAfterMillis))).pipe(Effect.catchTag("PolicyStoreError", failOpen("connect")))
    },
    mailFrom: (txn) =>
      exempt(txn.connection)
        ? Effect.succeed(Verdict.next)
        : Effect.map(firstOver("msg", subjects(txn, (v) => v.messages)), (over) =>
          over === undefined ? Verdict.next : replies.messages(over.subject.label, over.hint)).pipe(Effect.catchTag("PolicyStoreError", failOpen("mailFrom"))),
    rcptTo: (txn: Session.Transaction, _recipient: Envelope.Recipient) => {
      if (exempt(txn.connection)) return Effect.succeed(Verdict.next)
      const max = policy.recipientsPerMessage
      if (max !== undefined && txn.recipients.length >= max) return Effect.succeed(replies.recipientsPerMessage(max))
      return Effect.map(firstOver("rcpt", subjects(txn, (v) => v.recipients)), (over) =>
        over === undefined ? Verdict.next : replies.recipients(over.subject.label, over.hint)).pipe(Effect.catchTag("PolicyStoreError", failOpen("rcptTo")))
    }
  }
}

/** The plugin, configured in code; it needs the app's `PolicyStore`. Bad networks fail the build (`CidrError`). */
export const plugin = (options: Options): Plugin.Plugin<Cidr.CidrError, PolicyStore.PolicyStore> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const policy = compile(options)
      if (Result.isFailure(policy)) return yield* policy.failure
      const store = yield* PolicyStore.PolicyStore
      return hooks(policy.success, store.counters(name))
    })
  )

/** The environment variable behind each option. */
export const variables = {
  clientConnections: "CARTERO_RATE_LIMIT_CLIENT_CONNECTIONS",
  clientMessages: "CARTERO_RATE_LIMIT_CLIENT_MESSAGES",
  clientRecipients: "CARTERO_RATE_LIMIT_CLIENT_RECIPIENTS",
  userMessages: "CARTERO_RATE_LIMIT_USER_MESSAGES",
  userRecipients: "CARTERO_RATE_LIMIT_USER_RECIPIENTS",
  senderDomainMessages: "CARTERO_RATE_LIMIT_SENDER_DOMAIN_MESSAGES",
  senderDomainRecipients: "CARTERO_RATE_LIMIT_SENDER_DOMAIN_RECIPIENTS",
  recipientsPerMessage: "CARTERO_RATE_LIMIT_RECIPIENTS_PER_MESSAGE",
  trustedNetworks: "CARTERO_TRUSTED_NETWORKS"
} as const

const rateExpected = "a rate such as 100/1h (count/duration, the window at least 1s)"
const rate = (variable: string) => Config.option(Setting.config(variable, rateExpected, Rate.parse)).pipe(Config.map(Option.getOrUndefined))

/**
 * {@link Options} from the settings ({@link variables}); unset variables leave their limit off. Trusted networks are
 * the server's `CARTERO_TRUSTED_NETWORKS`.
 */
export const config: Config.Config<Options> = Config.all({
  clientConnections: rate(variables.clientConnections),
  clientMessages: rate(variables.clientMessages),
  clientRecipients: rate(variables.clientRecipients),
  userMessages: rate(variables.userMessages),
  userRecipients: rate(variables.userRecipients),
  senderDomainMessages: rate(variables.senderDomainMessages),
  senderDomainRecipients: rate(variables.senderDomainRecipients),
  recipientsPerMessage: Config.option(Setting.config(variables.recipientsPerMessage, "an integer 1-100000", Setting.int(1, 100_000))).pipe(
    Config.map(Option.getOrUndefined)
  ),
  trustedNetworks: Config.String(variables.trustedNetworks).pipe(Config.map(Setting.list), Config.withDefault([]))
}).pipe(
  Config.mapEffect((c) => {
    const options: Options = {
      perClient: { connections: c.clientConnections, messages: c.clientMessages, recipients: c.clientRecipients },
      perUser: { messages: c.userMessages, recipients: c.userRecipients },
      perSenderDomain: { messages: c.senderDomainMessages, recipients: c.senderDomainRecipients },
      recipientsPerMessage: c.recipientsPerMessage,
      trustedNetworks: c.trustedNetworks
    }
    const checked = Cidr.parseList(c.trustedNetworks)
    if (Result.isFailure(checked)) {
      const message = `${variables.trustedNetworks}: expected a comma-separated list of CIDR networks; ${checked.failure.message}`
      return Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message })))
    }
    return Effect.succeed(options)
  })
)

/** The plugin configured from the settings ({@link config}). */
export const pluginConfig: Plugin.Plugin<Config.ConfigError, PolicyStore.PolicyStore> = Plugin.make(
  name,
  Effect.gen(function*() {
    const options = yield* config
    const policy = compile(options)
    if (Result.isFailure(policy)) return yield* Effect.die(policy.failure)
    const store = yield* PolicyStore.PolicyStore
    return hooks(policy.success, store.counters(name))
  })
)
