/**
 * The `local-domains` plugin: the anti-open-relay rule of an MX.
 *
 * On `rcptTo` it accepts recipients of the local domains whose user exists, rejects unknown local users with
 * `550 5.1.1`, accepts recipients of other domains only when the client authenticated or connected from a trusted
 * network, and rejects every other recipient with `550 5.7.1`. The core pipeline is default-deny on `rcptTo`, so
 * this plugin is what makes a server accept mail at all.
 *
 * Each accepted recipient is recorded in the {@link LocalRecipients} transaction note as local or relayed, so that
 * storage plugins (Maildir) and the queue hand-off can tell them apart with {@link isLocal}.
 *
 * ```ts
 * Pipeline.Pipeline.layer([LocalDomains.plugin({ domains: ["example.com"], trustedNetworks: ["10.0.0.0/8"] }), ...])
 * Pipeline.Pipeline.layer([LocalDomains.pluginConfig, ...])   // CARTERO_LOCAL_DOMAINS, CARTERO_LOCAL_ADDRESSES, ...
 * ```
 *
 * @since 0.1.0
 */
import { type Hooks, Notes, Plugin, Replies, type Session } from "@cartero/core"
import { Setting } from "@cartero/settings"
import { Address, type Envelope, Verdict } from "@cartero/smtp"
import { Config, ConfigProvider, Effect, Option, Result } from "effect"
import * as os from "node:os"
import * as RecipientPolicy from "./RecipientPolicy.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "local-domains"

/** Replies this plugin emits (a recipient it may not take gets the pipeline's own default-deny reply). */
export const replies = {
  unknownUser: Verdict.reject("5.1.1", "No such user here"),
  relayDenied: Replies.relayDenied
} as const

/**
 * Per-transaction note: the recipients this plugin accepted, keyed by their formatted address, with whether each
 * is local (`true`) or relayed (`false`).
 */
export const LocalRecipients = Notes.make<ReadonlyMap<string, boolean>>("local-domains.recipients")

/**
 * Whether an accepted recipient of the transaction is local (for a storage plugin), as recorded by this plugin
 * when it accepted the recipient. Recipients this plugin did not accept (another plugin accepted them first) are
 * not local.
 */
export const isLocal = (transaction: Session.Transaction, recipient: Envelope.Recipient): Effect.Effect<boolean> =>
  LocalRecipients.get(transaction).pipe(
    Effect.map((notes) => Option.isSome(notes) && notes.value.get(Address.format(recipient.address)) === true)
  )

/** Builds the hooks for a validated policy. */
export const hooks = (policy: RecipientPolicy.Policy): Hooks.Hooks => ({
  // Runs per message: untraced (Effect.fn("LocalDomains.rcptTo") made a span and captured two stacks per call;
  // docs/benchmarks.md, "Profile and optimisations").
  rcptTo: Effect.fnUntraced(function*(transaction: Session.Transaction, recipient: Envelope.Recipient) {
    const connection = transaction.connection
    const decision = RecipientPolicy.decide(policy, connection, recipient.address)
    yield* Effect.annotateCurrentSpan({ decision })
    switch (decision) {
      case "UnknownUser":
        return replies.unknownUser
      case "RelayDenied":
        yield* Effect.logInfo("relay denied").pipe(
          Effect.annotateLogs({ client: connection.remoteAddress, recipient: Address.format(recipient.address) })
        )
        return replies.relayDenied
      case "Local":
      case "Relay": {
        const local = decision === "Local"
        yield* LocalRecipients.update(transaction, (current) =>
          new Map(Option.getOrElse(current, () => new Map<string, boolean>())).set(Address.format(recipient.address), local))
        return Verdict.accept()
      }
    }
  })
})

/**
 * The plugin, configured in code. A bad option fails the pipeline layer (and so start-up) with a `PolicyError`.
 * `hostname` defaults to the OS host name, the server's own default.
 */
export const plugin = (options: RecipientPolicy.Options): Plugin.Plugin<RecipientPolicy.PolicyError> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const policy = RecipientPolicy.make({ ...options, hostname: options.hostname ?? os.hostname() })
      if (Result.isFailure(policy)) return yield* policy.failure
      return hooks(policy.success)
    })
  )

/** A comma-separated variable ({@link Setting.list}: items trimmed, empty ones dropped). */
const list = (name: string) => Config.String(name).pipe(Config.map(Setting.list))

/** The environment variable behind each option. */
export const variables = {
  domains: "CARTERO_LOCAL_DOMAINS",
  addresses: "CARTERO_LOCAL_ADDRESSES",
  trustedNetworks: "CARTERO_TRUSTED_NETWORKS",
  hostname: "CARTERO_HOSTNAME"
} as const

/** What each variable must contain, for error messages. */
const expected = {
  domains: "a comma-separated list of domain names",
  addresses: "a comma-separated list of user@domain or @domain entries in CARTERO_LOCAL_DOMAINS",
  trustedNetworks: "a comma-separated list of CIDR networks such as 127.0.0.0/8,::1/128",
  hostname: "a host name"
} as const

/**
 * The server's host name, read as `@cartero/server` reads it (`CARTERO_HOSTNAME`, default the OS host name), so
 * that the postmaster of the name the server greets with is local.
 */
const hostname = Setting.config(
  variables.hostname,
  expected.hostname,
  (s) => (/^[A-Za-z0-9.-]{1,253}$/.test(s.trim()) ? s.trim() : undefined)
).pipe(Config.withDefault(os.hostname()))

/** A `Config` that reads and validates a whole {@link RecipientPolicy.Policy}; errors name the variable. */
export const config: Config.Config<RecipientPolicy.Policy> = Config.all({
  domains: list("CARTERO_LOCAL_DOMAINS").pipe(Config.withDefault(["localhost"])),
  addresses: Config.option(list("CARTERO_LOCAL_ADDRESSES")),
  trustedNetworks: list("CARTERO_TRUSTED_NETWORKS").pipe(Config.withDefault([])),
  hostname
}).pipe(
  Config.mapEffect(({ addresses, domains, hostname, trustedNetworks }) => {
    const policy = RecipientPolicy.make({ domains, addresses: Option.getOrUndefined(addresses), trustedNetworks, hostname })
    if (Result.isSuccess(policy)) return Effect.succeed(policy.success)
    const { field, detail } = policy.failure
    const message = `${variables[field]}: expected ${expected[field]}; ${detail}`
    return Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message })))
  })
)

/**
 * The plugin, configured from the environment when the pipeline is built:
 * `CARTERO_LOCAL_DOMAINS` (default `localhost`), `CARTERO_LOCAL_ADDRESSES` (default: unset, every local domain is
 * a catch-all), `CARTERO_TRUSTED_NETWORKS` (default: none), and the server's `CARTERO_HOSTNAME` (default the OS
 * host name), whose postmaster is local.
 */
export const pluginConfig: Plugin.Plugin<Config.ConfigError> = Plugin.make(
  name,
  Effect.gen(function*() {
    return hooks(yield* config)
  })
)
