/**
 * The `spf` plugin (RFC 7208): at MAIL FROM, checks whether the client may send for the sender's domain, with
 * mailauth's `spf()` over `@cartero/dns`.
 *
 * - The identity is the MAIL FROM domain; for the null sender `<>` (bounces) it is the HELO name, as
 *   `postmaster@<helo>` (RFC 7208 §2.3, §2.4). A null sender without a usable HELO name is not checked.
 * - The result is recorded in `@cartero/mail-auth`'s `Results.Spf` for the DMARC plugin and later plugins, and acted
 *   on per {@link SpfPolicy} (`fail` → `550 5.7.23`, `temperror` → `451 4.7.24` by default).
 * - The `Received-SPF:` field (mailauth's, RFC 7208 §9.1) is added at the DATA command (`data` hook): headers of
 *   `mailFrom` verdicts are not kept by the server, headers of `data` verdicts are.
 * - Authenticated and trusted clients (`Client.isExempt`) and clients in the `allow` networks are not checked.
 *
 * ```ts
 * Pipeline.Pipeline.layer([Spf.plugin({ fail: "reject", softfail: "tag" }), DkimVerify…, Dmarc.plugin(), ...])
 * Pipeline.Pipeline.layer([Spf.pluginConfig, ...])   // CARTERO_SPF_FAIL, CARTERO_SPF_TEMPERROR, …
 * ```
 *
 * @since 0.1.0
 */
import type { Hooks, Session } from "@cartero/core"
import { Plugin } from "@cartero/core"
import type { Dns } from "@cartero/dns"
import { Client, Resolver, Results } from "@cartero/mail-auth"
import { Setting } from "@cartero/settings"
import { Address, Header, Verdict } from "@cartero/smtp"
import { Config, ConfigProvider, Data, Effect, Option, Result } from "effect"
import { type DNSResolver, spf, type SPFResult } from "mailauth"
import * as os from "node:os"
import * as SpfPolicy from "./SpfPolicy.ts"

/** The plugin's name, in span names and logs. */
export const name = "spf"

/** mailauth's `spf()` failed outside its own error handling (it normally turns every failure into a result). */
export class SpfCheckError extends Data.TaggedError("SpfCheckError")<{ readonly cause: unknown }> {
  override get message(): string {
    return `SPF check failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/** The identity to check: the MAIL FROM address, or `postmaster@<helo>` for the null sender. */
export const identity = (transaction: Session.Transaction): string | undefined => {
  if (transaction.mailFrom !== null) return Address.format(transaction.mailFrom)
  const helo = transaction.connection.helo
  // An address literal (`[192.0.2.1]`) or no HELO at all: there is no domain to ask (RFC 7208 §2.3: result none).
  return helo === undefined || helo.startsWith("[") || !helo.includes(".") ? undefined : `postmaster@${helo}`
}

/** Runs mailauth's SPF check for the transaction. */
export const check = (resolver: DNSResolver, hostname: string, transaction: Session.Transaction, sender: string) =>
  Effect.tryPromise({
    try: () =>
      spf({
        sender,
        ip: Client.ip(transaction.connection),
        ...(transaction.connection.helo === undefined ? {} : { helo: transaction.connection.helo }),
        mta: hostname,
        resolver
      }),
    catch: (cause) => new SpfCheckError({ cause })
  })

/** mailauth's `Received-SPF: …` line as a header to add (its folding undone; the server folds when rendering). */
export const receivedSpf = (result: SPFResult): Header.Header =>
  Header.make("Received-SPF", result.header.replace(/^Received-SPF:/i, "").replace(/\r?\n[ \t]*/g, " "))

/** The hooks for a validated policy, answering DNS through `resolver`. */
export const hooks = (policy: SpfPolicy.Policy, resolver: DNSResolver): Hooks.Hooks => ({
  mailFrom: Effect.fnUntraced(function*(transaction: Session.Transaction) {
    const connection = transaction.connection
    if (Client.isExempt(connection) || SpfPolicy.allowed(policy, connection.remoteAddress)) return Verdict.next
    const sender = identity(transaction)
    if (sender === undefined) return Verdict.next
    const result = yield* check(resolver, policy.hostname, transaction, sender)
    yield* Results.Spf.set(transaction, result)
    const outcome = SpfPolicy.decide(policy, result)
    if (outcome._tag === "Accept") return Verdict.next
    yield* Effect.logInfo("SPF refused the sender").pipe(
      Effect.annotateLogs({ client: connection.remoteAddress, sender, spf: result.status.result, domain: result.domain })
    )
    return outcome.verdict
  }),
  data: Effect.fnUntraced(function*(transaction: Session.Transaction) {
    const result = yield* Results.Spf.get(transaction)
    if (Option.isNone(result)) return Verdict.next
    const outcome = SpfPolicy.decide(policy, result.value)
    return outcome._tag === "Accept" && outcome.tag ? Verdict.continueWith([receivedSpf(result.value)]) : Verdict.next
  })
})

/** The plugin, configured in code. Bad options fail the pipeline layer (start-up) with an `SpfOptionError`. */
export const plugin = (options: SpfPolicy.Options = {}): Plugin.Plugin<SpfPolicy.SpfOptionError, Dns.Dns> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const policy = SpfPolicy.make({ ...options, hostname: options.hostname ?? os.hostname() })
      if (Result.isFailure(policy)) return yield* policy.failure
      return hooks(policy.success, yield* Resolver.fromContext)
    })
  )

/** The environment variable behind each option. */
export const variables = {
  fail: "CARTERO_SPF_FAIL",
  softfail: "CARTERO_SPF_SOFTFAIL",
  temperror: "CARTERO_SPF_TEMPERROR",
  permerror: "CARTERO_SPF_PERMERROR",
  allow: "CARTERO_SPF_ALLOW",
  hostname: "CARTERO_HOSTNAME"
} as const

const action = (variable: string) =>
  Config.option(Setting.config(variable, "one of reject, tag, none", Setting.oneOf(SpfPolicy.actions)))
const tempAction = (variable: string) =>
  Config.option(Setting.config(variable, "one of defer, tag, none", Setting.oneOf(SpfPolicy.tempActions)))

/** A `Config` reading and validating the whole policy from the `CARTERO_SPF_*` variables; errors name the variable. */
export const config: Config.Config<SpfPolicy.Policy> = Config.all({
  fail: action(variables.fail),
  softfail: action(variables.softfail),
  temperror: tempAction(variables.temperror),
  permerror: action(variables.permerror),
  allow: Config.String(variables.allow).pipe(Config.map(Setting.list), Config.withDefault([])),
  hostname: Setting.config(variables.hostname, "a host name", (s) => (/^[A-Za-z0-9.-]{1,253}$/.test(s.trim()) ? s.trim() : undefined))
    .pipe(Config.withDefault(os.hostname()))
}).pipe(
  Config.mapEffect(({ allow, fail, hostname, permerror, softfail, temperror }) => {
    const policy = SpfPolicy.make({
      fail: Option.getOrUndefined(fail),
      softfail: Option.getOrUndefined(softfail),
      temperror: Option.getOrUndefined(temperror),
      permerror: Option.getOrUndefined(permerror),
      allow,
      hostname
    })
    if (Result.isSuccess(policy)) return Effect.succeed(policy.success)
    const message = `${variables.allow}: expected a comma-separated list of CIDR networks; ${policy.failure.detail}`
    return Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message })))
  })
)

/**
 * The plugin, configured from the environment when the pipeline is built: `CARTERO_SPF_FAIL` (`reject`),
 * `CARTERO_SPF_SOFTFAIL` (`tag`), `CARTERO_SPF_TEMPERROR` (`defer`), `CARTERO_SPF_PERMERROR` (`tag`),
 * `CARTERO_SPF_ALLOW` (no networks) and the server's `CARTERO_HOSTNAME`.
 */
export const pluginConfig: Plugin.Plugin<Config.ConfigError, Dns.Dns> = Plugin.make(
  name,
  Effect.gen(function*() {
    return hooks(yield* config, yield* Resolver.fromContext)
  })
)
