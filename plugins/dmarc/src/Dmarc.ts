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
export const noFromInfo = "dmarc=permerror (no From address with a domain)"

/** The entry for a message with more From domains than DMARC evaluates. */
export const tooManyFromInfo = `dmarc=permerror (more than ${DmarcPolicy.maxFromDomains} From domains)`

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
  // mailauth gives no `info` for a message without a chain; the verifier ran, so say so (`arc=none`, RFC 8617 §7.1).
  ...(Option.isSome(inputs.arc) ? [inputs.arc.value.info ?? `arc=${inputs.arc.value.status.result}`] : [])
]

/** What the evaluation of the message asks for: an action, the evaluation behind it, the reply of a refusal. */
interface Outcome {
  readonly action: DmarcPolicy.Action
  readonly evaluation: Evaluate.Evaluation | undefined
  readonly refusal: Verdict.Reject | Verdict.Defer | undefined
}

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
    const domains = Evaluate.fromDomains(yield* Evaluate.fromValues(message))
    // The most severe outcome so far; a later one replaces it only when it is more severe.
    let outcome: Outcome = { action: "tag", evaluation: undefined, refusal: undefined }
    const consider = (next: Outcome) => {
      if (DmarcPolicy.worst(outcome.action, next.action) !== outcome.action) outcome = next
    }
    if (domains.length === 0 || domains.length > DmarcPolicy.maxFromDomains) {
      const none = domains.length === 0
      infos.push(none ? noFromInfo : tooManyFromInfo)
      const refusal = none ? DmarcPolicy.replies.noFrom : DmarcPolicy.replies.tooManyFrom
      consider({ action: DmarcPolicy.decideBadFrom(policy), evaluation: undefined, refusal })
    }
    // Past the limit only the first domains are evaluated (for the field); the message is refused anyway when
    // `badFrom` says so, so no domain can hide behind the limit.
    let first: Evaluate.Evaluation | undefined
    for (const domain of domains.slice(0, DmarcPolicy.maxFromDomains)) {
      const evaluation = yield* Evaluate.evaluate(resolver, domain, inputs)
      first ??= evaluation
      infos.push(evaluation.result.info)
      const action = DmarcPolicy.decide(policy, evaluation.result.status.result, evaluation.effective)
      const refusal = action === "reject"
        ? DmarcPolicy.replies.reject(domain)
        : action === "defer"
        ? DmarcPolicy.replies.temperror(domain)
        : undefined
      consider({ action, evaluation, refusal })
    }
    const decided = outcome.evaluation ?? first
    if (decided !== undefined) yield* Results.Dmarc.set(transaction, decided.result)
    if (outcome.refusal !== undefined) {
      yield* Effect.logInfo("DMARC refused the message").pipe(
        Effect.annotateLogs({
          client: transaction.connection.remoteAddress,
          from: outcome.evaluation?.domain ?? domains.join(","),
          dmarc: outcome.evaluation?.result.status.result ?? "permerror",
          action: outcome.action
        })
      )
      return outcome.refusal
    }
    const field = AuthenticationResults.make(policy.authservId, infos)
    yield* Results.Written.set(transaction, field)
    if (outcome.action === "quarantine" && outcome.evaluation !== undefined) {
      const { domain, effective, result } = outcome.evaluation
      const why = `dmarc=${result.status.result} policy=${effective} header.from=${domain}`
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
  badFrom: "CARTERO_DMARC_BAD_FROM"
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
  badFrom: oneOf(variables.badFrom, DmarcPolicy.badFromActions)
}).pipe(
  Config.mapEffect((read) => {
    const policy = DmarcPolicy.make({
      authservId: Option.getOrElse(read.authservId, () => Option.getOrElse(read.hostname, () => os.hostname())),
      mode: Option.getOrUndefined(read.mode),
      reject: Option.getOrUndefined(read.reject),
      quarantine: Option.getOrUndefined(read.quarantine),
      temperror: Option.getOrUndefined(read.temperror),
      badFrom: Option.getOrUndefined(read.badFrom)
    })
    return Result.isSuccess(policy)
      ? Effect.succeed(policy.success)
      : Effect.fail(new Config.ConfigError(new ConfigProvider.SourceError({ message: policy.failure.message })))
  })
)

/**
 * The plugin, configured from the environment when the pipeline is built: `CARTERO_AUTHSERV_ID` (default
 * `CARTERO_HOSTNAME`, else the OS host name), `CARTERO_DMARC_MODE` (`enforce`), `CARTERO_DMARC_REJECT` (`reject`),
 * `CARTERO_DMARC_QUARANTINE` (`quarantine`), `CARTERO_DMARC_TEMPERROR` (`accept`), `CARTERO_DMARC_BAD_FROM`
 * (`reject`).
 */
export const pluginConfig: Plugin.Plugin<Config.ConfigError, Dns.Dns> = Plugin.make(
  name,
  Effect.gen(function*() {
    return hooks(yield* config, yield* Resolver.fromContext)
  })
)
