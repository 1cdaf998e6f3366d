/**
 * What the SPF plugin does with each SPF result (RFC 7208 §8), as a pure value: the operator's choices per result,
 * the client networks never checked, and the reply of each refusal.
 *
 * | result      | actions                          | default  | refusal                          |
 * |-------------|----------------------------------|----------|----------------------------------|
 * | `fail`      | `reject` \| `tag` \| `none`      | `reject` | `550 5.7.23` (RFC 7372 §3.2)     |
 * | `softfail`  | `reject` \| `tag` \| `none`      | `tag`    | `550 5.7.23`                     |
 * | `temperror` | `defer` \| `tag` \| `none`       | `defer`  | `451 4.7.24` (RFC 7372 §3.3)     |
 * | `permerror` | `reject` \| `tag` \| `none`      | `tag`    | `550 5.7.24` (RFC 7372 §3.3)     |
 * | `pass`, `neutral`, `none` | always `tag`       |          |                                  |
 *
 * `tag` accepts and adds the `Received-SPF:` field; `none` accepts without it. Either way the result is recorded
 * for DMARC (`@cartero/mail-auth` `Results.Spf`). `permerror` defaults to `tag` because broken records (two
 * `v=spf1` records, too many lookups, typos) are common in the wild and say nothing about the message.
 *
 * @since 0.1.0
 */
import { Cidr } from "@cartero/plugin-local-domains"
import { Verdict } from "@cartero/smtp"
import { Data, Result } from "effect"
import type { SPFResult } from "mailauth"

/** What to do with a `fail`, `softfail` or `permerror`. */
export type Action = "reject" | "tag" | "none"

/** What to do with a `temperror`. */
export type TempAction = "defer" | "tag" | "none"

/** The plugin's options, as written in code or `cartero.config.ts`. Every member is optional. */
export interface Options {
  /** `fail` (`-all`): default `reject` (`550 5.7.23`). */
  readonly fail?: Action | undefined
  /** `softfail` (`~all`): default `tag`. */
  readonly softfail?: Action | undefined
  /** `temperror` (DNS timed out or failed): default `defer` (`451 4.7.24`). */
  readonly temperror?: TempAction | undefined
  /** `permerror` (a broken record): default `tag`; `reject` answers `550 5.7.24`. */
  readonly permerror?: Action | undefined
  /** Client networks (CIDR) that are never checked: partners, backup MXs, forwarders. Default none. */
  readonly allow?: ReadonlyArray<string> | undefined
  /** The name of this server in the results' comments (`mx.example.com: domain of … designates …`). Default the OS host name. */
  readonly hostname?: string | undefined
}

/** The validated policy. */
export interface Policy {
  readonly fail: Action
  readonly softfail: Action
  readonly temperror: TempAction
  readonly permerror: Action
  readonly allow: ReadonlyArray<Cidr.Cidr>
  readonly hostname: string
}

/** An option that cannot be used. */
export class SpfOptionError extends Data.TaggedError("SpfOptionError")<{
  readonly field: keyof Options
  readonly detail: string
}> {
  override get message(): string {
    return `SPF plugin: invalid ${this.field}: ${this.detail}`
  }
}

export const actions: ReadonlyArray<Action> = ["reject", "tag", "none"]
export const tempActions: ReadonlyArray<TempAction> = ["defer", "tag", "none"]

/** Validates the options (the action names too, for configs the compiler did not check). */
export const make = (options: Options & { readonly hostname: string }): Result.Result<Policy, SpfOptionError> => {
  const pick = <A extends string>(field: keyof Options, value: A | undefined, allowed: ReadonlyArray<A>, fallback: A) =>
    value === undefined
      ? Result.succeed(fallback)
      : allowed.includes(value)
      ? Result.succeed(value)
      : Result.fail(new SpfOptionError({ field, detail: `expected one of ${allowed.join(", ")}, got ${JSON.stringify(value)}` }))
  const fail = pick("fail", options.fail, actions, "reject")
  if (Result.isFailure(fail)) return Result.fail(fail.failure)
  const softfail = pick("softfail", options.softfail, actions, "tag")
  if (Result.isFailure(softfail)) return Result.fail(softfail.failure)
  const temperror = pick("temperror", options.temperror, tempActions, "defer")
  if (Result.isFailure(temperror)) return Result.fail(temperror.failure)
  const permerror = pick("permerror", options.permerror, actions, "tag")
  if (Result.isFailure(permerror)) return Result.fail(permerror.failure)
  const allow = Cidr.parseList(options.allow ?? [])
  if (Result.isFailure(allow)) return Result.fail(new SpfOptionError({ field: "allow", detail: allow.failure.message }))
  return Result.succeed({
    fail: fail.success,
    softfail: softfail.success,
    temperror: temperror.success,
    permerror: permerror.success,
    allow: allow.success,
    hostname: options.hostname
  })
}

/** What the plugin does with one result: refuse with a verdict, or accept with or without `Received-SPF:`. */
export type Outcome =
  | { readonly _tag: "Refuse"; readonly verdict: Verdict.Reject | Verdict.Defer }
  | { readonly _tag: "Accept"; readonly tag: boolean }

/**
 * mailauth's comment without its leading `<hostname>: ` (`domain of a@b.test does not designate 192.0.2.1 as
 * permitted sender`): the explanation the client is given. mailauth does not expand `exp=` modifiers.
 */
export const explanation = (result: SPFResult): string => {
  const comment = result.status.comment ?? ""
  const colon = comment.indexOf(": ")
  return (colon === -1 ? comment : comment.slice(colon + 2)).trim()
}

const text = (result: SPFResult): string => {
  const why = explanation(result)
  return `SPF ${result.status.result} for ${result.domain}${why === "" ? "" : `: ${why}`}`
}

/** The refusal replies (exported for tests and documentation). */
export const replies = {
  fail: (result: SPFResult) => Verdict.reject("5.7.23", text(result)),
  temperror: (result: SPFResult) => Verdict.defer("4.7.24", `${text(result)}; please try again later`),
  permerror: (result: SPFResult) => Verdict.reject("5.7.24", text(result))
} as const

const act = (action: Action, refusal: Verdict.Reject): Outcome =>
  action === "reject" ? { _tag: "Refuse", verdict: refusal } : { _tag: "Accept", tag: action === "tag" }

/** The decision table of the module documentation. */
export const decide = (policy: Policy, result: SPFResult): Outcome => {
  switch (result.status.result) {
    case "fail":
      return act(policy.fail, replies.fail(result))
    case "softfail":
      return act(policy.softfail, replies.fail(result))
    case "permerror":
      return act(policy.permerror, replies.permerror(result))
    case "temperror":
    case "temperr":
      return policy.temperror === "defer"
        ? { _tag: "Refuse", verdict: replies.temperror(result) }
        : { _tag: "Accept", tag: policy.temperror === "tag" }
    default:
      return { _tag: "Accept", tag: true }
  }
}

/** Whether the client address is in the allow-list. */
export const allowed = (policy: Policy, address: string): boolean => Cidr.containsAny(policy.allow, address)
