/**
 * The `greylist` plugin: a first message from an unknown (client network, sender, recipient) triplet is answered
 * `451 4.7.1` at RCPT TO; a real MTA retries, spamware mostly does not. A retry after `delay` (and before the
 * `retryWindow` since the first attempt ends) passes, and the triplet is remembered for `expiry` (renewed each time
 * it is seen). State lives in the app's `PolicyStore` (Redis: shared by every process and host; SQLite; memory).
 *
 * Passed without greylisting:
 * - authenticated clients and trusted listeners (`@cartero/mail-auth` `Client.isExempt`), and `trustedNetworks`;
 * - auto-whitelisted clients: a client network that passed greylisting `autoWhitelistClients` times (counted at
 *   most once an hour, postgrey's `--auto-whitelist-clients`) is not greylisted any more, until `expiry` after it
 *   was last seen;
 * - with `authenticatedSenders` (default on): a message whose sender passed SPF and that carries a passing DKIM
 *   signature aligned with its From domain. SPF is known at MAIL FROM but DKIM only after the body, so for an
 *   SPF-pass sender an unknown triplet is not refused at RCPT TO: the decision waits for the `message` phase,
 *   which passes (and remembers) the triplets when an aligned DKIM signature verified, and otherwise answers
 *   `451 4.7.1` after the body, starting the triplets' delay as a refusal at RCPT TO would have. The SPF plugin must
 *   run before this one (at MAIL FROM) and the DKIM verifier before it (in the `message` phase).
 *
 * Order: before the plugins that accept recipients (`local-domains`), since `rcptTo` is decided by the first plugin
 * that does not continue. A store that fails lets mail through, logged (greylisting is a filter, not a gate).
 *
 * @since 0.1.0
 */
import { type Hooks, Notes, Plugin, type Session } from "@cartero/core"
import { Client, Results } from "@cartero/mail-auth"
import { Cidr } from "@cartero/plugin-local-domains"
import { PolicyStore, type PolicyStoreError, type Records } from "@cartero/policy-store"
import { Setting } from "@cartero/settings"
import { type Envelope, Verdict } from "@cartero/smtp"
import { Clock, Config, ConfigProvider, Data, Duration, Effect, Option, Result } from "effect"
import * as Triplet from "./Triplet.ts"

/** The plugin's name (logs, spans) and its namespace in the policy store. */
export const name = "greylist"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** How long a new triplet must wait before a retry passes; default 5 minutes. */
  readonly delay?: Duration.Input | undefined
  /** How long after the first attempt a retry still counts; later, the triplet starts over. Default 24 hours. */
  readonly retryWindow?: Duration.Input | undefined
  /** How long a passed triplet (and an auto-whitelisted client) is remembered after it was last seen; default 35 days. */
  readonly expiry?: Duration.Input | undefined
  /** Passes after which a client network is no longer greylisted (0: never); default 5. */
  readonly autoWhitelistClients?: number | undefined
  /** Networks never greylisted (CIDR). */
  readonly trustedNetworks?: ReadonlyArray<string> | undefined
  /** Pass SPF-pass senders whose message has an aligned DKIM pass, deciding after the body; default true. */
  readonly authenticatedSenders?: boolean | undefined
}

/** The reply to a greylisted recipient (or message): `hint` is `try again in N s`. */
export const reply = (seconds: number) =>
  Verdict.defer("4.7.1", `Greylisted, please try again in ${seconds} s`)

/** The options with their defaults, checked. */
export interface Policy {
  readonly delayMillis: number
  readonly retryWindowMillis: number
  readonly expiryMillis: number
  readonly autoWhitelistClients: number
  readonly trusted: ReadonlyArray<Cidr.Cidr>
  readonly authenticatedSenders: boolean
}

/** A bad option; `option` is its name in {@link Options}. */
export class GreylistOptionError extends Data.TaggedError("GreylistOptionError")<{
  readonly option: keyof Options
  readonly detail: string
}> {
  override get message(): string {
    return `greylist ${this.option}: ${this.detail}`
  }
}

const millis = (input: Duration.Input, option: keyof Options): Result.Result<number, GreylistOptionError> => {
  const d = Duration.fromInput(input)
  return Option.isSome(d) && Duration.isFinite(d.value)
    ? Result.succeed(Duration.toMillis(d.value))
    : Result.fail(new GreylistOptionError({ option, detail: "expected a finite duration" }))
}

/** Checks the options and applies the defaults. */
export const policy = (options: Options): Result.Result<Policy, GreylistOptionError | Cidr.CidrError> =>
  Result.gen(function*() {
    const delayMillis = yield* millis(options.delay ?? "5 minutes", "delay")
    const retryWindowMillis = yield* millis(options.retryWindow ?? "24 hours", "retryWindow")
    const expiryMillis = yield* millis(options.expiry ?? "35 days", "expiry")
    const autoWhitelistClients = options.autoWhitelistClients ?? 5
    const fail = (option: keyof Options, detail: string) => Result.fail(new GreylistOptionError({ option, detail }))
    if (retryWindowMillis <= delayMillis) return yield* fail("retryWindow", "must be longer than the delay")
    if (expiryMillis < 1000) return yield* fail("expiry", "must be at least 1 second")
    if (!Number.isSafeInteger(autoWhitelistClients) || autoWhitelistClients < 0) {
      return yield* fail("autoWhitelistClients", "expected a whole number (0 turns it off)")
    }
    const trusted = yield* Cidr.parseList(options.trustedNetworks ?? [])
    return {
      delayMillis,
      retryWindowMillis,
      expiryMillis,
      autoWhitelistClients,
      trusted,
      authenticatedSenders: options.authenticatedSenders ?? true
    }
  })

/** Triplets of the transaction whose decision waits for the body (SPF-pass sender, DKIM not known yet). */
const Awaiting = Notes.make<ReadonlyArray<string>>("greylist.awaiting-dkim")

// Record values: a triplet is `p:<first seen>` (pending) or `ok` (passed); a client is `<passes>:<last counted>`.
const pending = (firstSeen: number) => `p:${firstSeen}`
const passed = "ok"
const hour = 3_600_000

/** Builds the hooks over the store's records. */
const hooks = (p: Policy, records: Records.Records): Hooks.Hooks => {
  const exempt = (connection: Session.Connection) =>
    Client.isExempt(connection) || Cidr.containsAny(p.trusted, connection.remoteAddress)

  const clientKey = (connection: Session.Connection) => `client:${Triplet.network(connection.remoteAddress)}`

  const readClient = (key: string) =>
    Effect.map(records.get(key), Option.match({
      onNone: () => ({ passes: 0, counted: 0 }),
      onSome: (text) => {
        const [passes, counted] = text.split(":").map(Number)
        return { passes: Number.isSafeInteger(passes) ? (passes ?? 0) : 0, counted: Number.isFinite(counted) ? (counted ?? 0) : 0 }
      }
    }))

  /** A triplet of this client passed: count it (at most once an hour), keeping the client for `expiry`. */
  const countPass = (connection: Session.Connection, now: number) =>
    Effect.gen(function*() {
      if (p.autoWhitelistClients === 0) return
      const key = clientKey(connection)
      const client = yield* readClient(key)
      if (now - client.counted < hour && client.passes > 0) return
      yield* records.set(key, `${client.passes + 1}:${now}`, p.expiryMillis)
    })

  /** Whether the client network is auto-whitelisted (renewing it when it is). */
  const whitelisted = (connection: Session.Connection, now: number) =>
    Effect.gen(function*() {
      if (p.autoWhitelistClients === 0) return false
      const client = yield* readClient(clientKey(connection))
      if (client.passes < p.autoWhitelistClients) return false
      yield* countPass(connection, now)
      return true
    })

  const refuse = (waitMillis: number) => reply(Math.max(1, Math.ceil(waitMillis / 1000)))

  const failOpen = (phase: string) => (error: PolicyStoreError) =>
    Effect.logWarning("greylisting skipped: the policy store failed", error.message).pipe(
      Effect.annotateLogs({ plugin: name, phase }),
      Effect.as(Verdict.next)
    )

  const rcptTo = (txn: Session.Transaction, recipient: Envelope.Recipient) =>
    Effect.gen(function*() {
      const connection = txn.connection
      if (exempt(connection)) return Verdict.next
      const now = yield* Clock.currentTimeMillis
      if (yield* whitelisted(connection, now)) return Verdict.next
      const key = Triplet.key(connection.remoteAddress, txn.mailFrom, recipient.address)
      const state = yield* records.get(key)
      if (Option.isSome(state)) {
        if (state.value === passed) {
          yield* records.set(key, passed, p.expiryMillis)
          yield* countPass(connection, now)
          return Verdict.next
        }
        const firstSeen = Number(state.value.slice(2))
        if (Number.isFinite(firstSeen) && now - firstSeen < p.retryWindowMillis) {
          if (now - firstSeen < p.delayMillis) return refuse(p.delayMillis - (now - firstSeen))
          yield* records.set(key, passed, p.expiryMillis)
          yield* countPass(connection, now)
          yield* Effect.logInfo("greylist passed").pipe(Effect.annotateLogs({ triplet: key, waitedMs: now - firstSeen }))
          return Verdict.next
        }
      }
      // A triplet seen for the first time (or again after its retry window).
      if (p.authenticatedSenders && Option.getOrUndefined(yield* Results.spfOutcome(txn)) === "pass") {
        yield* Awaiting.update(txn, (current) => [...Option.getOrElse(current, () => []), key])
        return Verdict.next
      }
      yield* records.set(key, pending(now), p.retryWindowMillis)
      return refuse(p.delayMillis)
    }).pipe(Effect.catchTag("PolicyStoreError", failOpen("rcptTo")))

  /** After the body: the triplets that waited for DKIM pass with an aligned DKIM pass, else the message is refused. */
  const message = (txn: Session.Transaction) =>
    Effect.gen(function*() {
      const awaiting = Option.getOrElse(yield* Awaiting.get(txn), () => [])
      if (awaiting.length === 0) return Verdict.next
      const now = yield* Clock.currentTimeMillis
      const aligned = yield* Results.alignedDkimPasses(txn)
      if (aligned.length > 0) {
        for (const key of awaiting) yield* records.set(key, passed, p.expiryMillis)
        yield* countPass(txn.connection, now)
        yield* Effect.logInfo("greylist passed: SPF pass with aligned DKIM").pipe(Effect.annotateLogs({ dkim: aligned.join(",") }))
        return Verdict.next
      }
      for (const key of awaiting) yield* records.set(key, pending(now), p.retryWindowMillis)
      return refuse(p.delayMillis)
    }).pipe(Effect.catchTag("PolicyStoreError", failOpen("message")))

  return p.authenticatedSenders ? { rcptTo, message } : { rcptTo }
}

/** The plugin, configured in code; it needs the app's `PolicyStore`. Bad options fail the build. */
export const plugin = (options: Options = {}): Plugin.Plugin<GreylistOptionError | Cidr.CidrError, PolicyStore.PolicyStore> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const checked = policy(options)
      if (Result.isFailure(checked)) return yield* checked.failure
      const store = yield* PolicyStore.PolicyStore
      return hooks(checked.success, store.records(name))
    })
  )

/** The environment variable behind each option. */
export const variables = {
  delay: "CARTERO_GREYLIST_DELAY",
  retryWindow: "CARTERO_GREYLIST_RETRY_WINDOW",
  expiry: "CARTERO_GREYLIST_EXPIRY",
  autoWhitelistClients: "CARTERO_GREYLIST_AUTO_WHITELIST_CLIENTS",
  authenticatedSenders: "CARTERO_GREYLIST_AUTHENTICATED_SENDERS",
  trustedNetworks: "CARTERO_TRUSTED_NETWORKS"
} as const

const duration = (variable: string) =>
  Config.option(Setting.config(variable, "a duration such as 5m, 24h or 35d", Setting.duration)).pipe(Config.map(Option.getOrUndefined))

/** {@link Options} from the settings ({@link variables}); trusted networks are the server's `CARTERO_TRUSTED_NETWORKS`. */
export const config: Config.Config<Policy> = Config.all({
  delay: duration(variables.delay),
  retryWindow: duration(variables.retryWindow),
  expiry: duration(variables.expiry),
  autoWhitelistClients: Config.option(Setting.config(variables.autoWhitelistClients, "an integer 0-1000", Setting.int(0, 1000))).pipe(
    Config.map(Option.getOrUndefined)
  ),
  authenticatedSenders: Config.option(Setting.config(variables.authenticatedSenders, "true or false", Setting.boolean)).pipe(
    Config.map(Option.getOrUndefined)
  ),
  trustedNetworks: Config.String(variables.trustedNetworks).pipe(Config.map(Setting.list), Config.withDefault([]))
}).pipe(Config.mapEffect((options) => {
  const checked = policy(options)
  if (Result.isSuccess(checked)) return Effect.succeed(checked.success)
  const e = checked.failure
  const message = e._tag === "GreylistOptionError"
    ? `${variables[e.option]}: ${e.detail}`
    : `${variables.trustedNetworks}: expected a comma-separated list of CIDR networks; ${e.message}`
  return Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message })))
}))

/** The plugin configured from the settings ({@link config}). */
export const pluginConfig: Plugin.Plugin<Config.ConfigError, PolicyStore.PolicyStore> = Plugin.make(
  name,
  Effect.gen(function*() {
    const checked = yield* config
    const store = yield* PolicyStore.PolicyStore
    return hooks(checked, store.records(name))
  })
)
