/**
 * The `dmarc` plugin (RFC 7489), in the `message` phase, after the SPF plugin (MAIL FROM), the DKIM verifier and
 * the ARC verifier (earlier `message` hooks): it evaluates the From domain's policy with mailauth (`Evaluate`),
 * acts on it (`DmarcPolicy`), and writes the message's one `Authentication-Results:` field (RFC 8601) with this
 * server's `authserv-id`, listing the SPF, DKIM (each signature), ARC and DMARC results the transaction recorded.
 *
 * - Incoming `Authentication-Results:` fields that carry our `authserv-id` are forgeries (RFC 8601 §5): the plugin
 *   asks the server to remove them (`HeaderEdits`), for every client, before its own field is added.
 * - Authenticated and trusted clients (`Client.isExempt`) are not evaluated: no policy, no field.
 * - The field written is kept in `Results.Written` (for an ARC sealer), the DMARC result in `Results.Dmarc` (for a
 *   message with several From domains, the one that decided).
 *
 * ```ts
 * Pipeline.Pipeline.layer([Spf.plugin(), DkimVerify…, Arc…, Dmarc.plugin({ authservId: "mx.example.com" }), ...])
 * Pipeline.Pipeline.layer([..., Dmarc.pluginConfig, ...])   // CARTERO_AUTHSERV_ID, CARTERO_DMARC_MODE, …
 * ```
 *
 * @since 0.1.0
 */
import { HeaderEdits, type Hooks, type Message, Plugin, type Session } from "@cartero/core"
import type { Dns } from "@cartero/dns"
import { AuthenticationResults, Client, Resolver, Results } from "@cartero/mail-auth"
import { Setting } from "@cartero/settings"
import { Header, Verdict } from "@cartero/smtp"
import { Config, ConfigProvider, Effect, Option, Result } from "effect"
import type { DNSResolver } from "mailauth"
import * as os from "node:os"
import * as DmarcPolicy from "./DmarcPolicy.ts"
import * as Evaluate from "./Evaluate.ts"

/** The plugin's name, in span names and logs. */
export const name = "dmarc"

/** The `Authentication-Results:` entry for a message without a From domain (RFC 8601 §2.7.1 `permerror`). */
export const missingFromInfo = "dmarc=permerror (no From address with a domain)"

/** Asks the server to remove the incoming `Authentication-Results:` fields that claim our `authserv-id`. */
export const removeForged = (transaction: Session.Transaction, authservId: string): Effect.Effect<void> =>
  HeaderEdits.remove(transaction, {
    name: AuthenticationResults.name,
    matches: (value) => AuthenticationResults.isOurs(value, authservId)
  })

/** The results the earlier plugins recorded, as `Authentication-Results:` entries: SPF, DKIM, ARC. */
const recorded = (inputs: Evaluate.Inputs): Array<string> => [
  ...(Option.isSome(inputs.spf) ? [inputs.spf.value.info] : []),
  ...(Option.isSome(inputs.dkim) ? inputs.dkim.value.results.map((r) => r.info) : []),
  ...(Option.isSome(inputs.arc) && inputs.arc.value.info !== undefined ? [inputs.arc.value.info] : [])
]

/** The hooks for a validated policy, answering DNS through `resolver`. */
export const hooks = (policy: DmarcPolicy.Policy, resolver: DNSResolver): Hooks.Hooks => ({
  message: Effect.fnUntraced(function*(transaction: Session.Transaction, message: Message.Message) {
    yield* removeForged(transaction, policy.authservId)
    if (Client.isExempt(transaction.connection)) return Verdict.next
    const inputs: Evaluate.Inputs = {
      spf: yield* Results.Spf.get(transaction),
      dkim: yield* Results.Dkim.get(transaction),
      arc: yield* Results.Arc.get(transaction)
    }
    const infos = recorded(inputs)
    const domains = Evaluate.fromDomains(message.headers)
    let action: DmarcPolicy.Action = "tag"
    let decided: Evaluate.Evaluation | undefined
    if (domains.length === 0) {
      infos.push(missingFromInfo)
      action = DmarcPolicy.decideMissingFrom(policy)
    }
    for (const domain of domains) {
      const evaluation = yield* Evaluate.evaluate(resolver, domain, inputs)
      infos.push(evaluation.result.info)
      const next = DmarcPolicy.decide(policy, evaluation.result.status.result, evaluation.effective)
      if (decided === undefined || DmarcPolicy.worst(action, next) !== action) decided = evaluation
      action = DmarcPolicy.worst(action, next)
    }
    if (decided !== undefined) yield* Results.Dmarc.set(transaction, decided.result)
    const field = AuthenticationResults.make(policy.authservId, infos)
    if (action === "reject" || action === "defer") {
      yield* Effect.logInfo("DMARC refused the message").pipe(
        Effect.annotateLogs({ client: transaction.connection.remoteAddress, from: decided?.domain ?? "", dmarc: decided?.result.status.result ?? "permerror", action })
      )
      if (decided === undefined) return DmarcPolicy.replies.missingFrom
      return action === "reject" ? DmarcPolicy.replies.reject(decided.domain) : DmarcPolicy.replies.temperror(decided.domain)
    }
    yield* Results.Written.set(transaction, field)
    if (action === "quarantine" && decided !== undefined) {
      const why = `dmarc=${decided.result.status.result} policy=${decided.effective} header.from=${decided.domain}`
      return Verdict.continueWith([field, Header.make(policy.quarantineHeader, why)])
    }
    return Verdict.continueWith([field])
  })
})

/** The plugin, configured in code. Bad options fail the pipeline layer (start-up) with a `DmarcOptionError`. */
export const plugin = (options: DmarcPolicy.Options = {}): Plugin.Plugin<DmarcPolicy.DmarcOptionError, Dns.Dns> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const policy = DmarcPolicy.make({ ...options, authservId: options.authservId ?? os.hostname() })
      if (Result.isFailure(policy)) return yield* policy.failure
      return hooks(policy.success, yield* Resolver.fromContext)
    })
  )

/** The environment variable behind each option. */
export const variables = {
  authservId: "CARTERO_AUTHSERV_ID",
  hostname: "CARTERO_HOSTNAME",
  mode: "CARTERO_DMARC_MODE",
  reject: "CARTERO_DMARC_REJECT",
  quarantine: "CARTERO_DMARC_QUARANTINE",
  temperror: "CARTERO_DMARC_TEMPERROR",
  missingFrom: "CARTERO_DMARC_MISSING_FROM"
} as const

const oneOf = <A extends string>(variable: string, allowed: ReadonlyArray<A>) =>
  Config.option(Setting.config(variable, `one of ${allowed.join(", ")}`, Setting.oneOf(allowed)))

const hostName = (variable: string) =>
  Config.option(Setting.config(variable, "a host name", (s) => (/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(s.trim()) ? s.trim() : undefined)))

/** A `Config` reading the whole policy from the environment; errors name the variable. */
export const config: Config.Config<DmarcPolicy.Policy> = Config.all({
  authservId: hostName(variables.authservId),
  hostname: hostName(variables.hostname),
  mode: oneOf(variables.mode, DmarcPolicy.modes),
  reject: oneOf(variables.reject, DmarcPolicy.rejectActions),
  quarantine: oneOf(variables.quarantine, DmarcPolicy.quarantineActions),
  temperror: oneOf(variables.temperror, DmarcPolicy.tempActions),
  missingFrom: oneOf(variables.missingFrom, DmarcPolicy.missingFromActions)
}).pipe(
  Config.mapEffect((read) => {
    const policy = DmarcPolicy.make({
      authservId: Option.getOrElse(read.authservId, () => Option.getOrElse(read.hostname, () => os.hostname())),
      mode: Option.getOrUndefined(read.mode),
      reject: Option.getOrUndefined(read.reject),
      quarantine: Option.getOrUndefined(read.quarantine),
      temperror: Option.getOrUndefined(read.temperror),
      missingFrom: Option.getOrUndefined(read.missingFrom)
    })
    return Result.isSuccess(policy)
      ? Effect.succeed(policy.success)
      : Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message: policy.failure.message })))
  })
)

/**
 * The plugin, configured from the environment when the pipeline is built: `CARTERO_AUTHSERV_ID` (default
 * `CARTERO_HOSTNAME`, else the OS host name), `CARTERO_DMARC_MODE` (`enforce`), `CARTERO_DMARC_REJECT` (`reject`),
 * `CARTERO_DMARC_QUARANTINE` (`quarantine`), `CARTERO_DMARC_TEMPERROR` (`accept`), `CARTERO_DMARC_MISSING_FROM`
 * (`reject`).
 */
export const pluginConfig: Plugin.Plugin<Config.ConfigError, Dns.Dns> = Plugin.make(
  name,
  Effect.gen(function*() {
    return hooks(yield* config, yield* Resolver.fromContext)
  })
)
