/**
 * What the DMARC plugin does with a DMARC evaluation (RFC 7489 §6.6), as a pure value: the operator's choices, and
 * the decision for each result. mailauth evaluates (record lookup at the From domain, then at its organisational
 * domain; `sp` for subdomains; alignment); this module only maps its answer to a verdict.
 *
 * | evaluation                                   | action (option)                                  | default        |
 * |----------------------------------------------|--------------------------------------------------|----------------|
 * | `fail`, policy `reject`                      | `reject` (`550 5.7.1`) \| `quarantine` \| `tag`  | `reject`       |
 * | `fail`, policy `quarantine`                  | `quarantine` (header) \| `tag`                   | `quarantine`   |
 * | `fail`, policy `none` or not a valid policy  | tag                                              |                |
 * | `temperror` (the policy lookup failed)       | `defer` (`451 4.4.3`) \| `accept`                | `accept`       |
 * | no From domain, or over 10 From domains      | `reject` (`550 5.7.1`) \| `accept`               | `reject`       |
 * | `pass`, `none` (no policy published)         | tag                                              |                |
 *
 * "tag" means the result is only written in `Authentication-Results:`; `quarantine` adds the quarantine header
 * (`X-Cartero-Quarantine` by default) for the mailbox side to act on. `mode: "monitor"` makes every action a tag:
 * the field is written, nothing is refused or quarantined.
 *
 * `pct` (RFC 7489 §6.6.4): a failing message outside the sampled percentage gets the next less strict policy
 * (`reject` → `quarantine` → `none`).
 *
 * @since 0.1.0
 */
import { Header, Verdict } from "@cartero/smtp"
import { Data, Result } from "effect"

/** Enforce the published policies, or only record them. */
export type Mode = "enforce" | "monitor"
/** What a failing message under `p=reject` gets. */
export type RejectAction = "reject" | "quarantine" | "tag"
/** What a failing message under `p=quarantine` gets. */
export type QuarantineAction = "quarantine" | "tag"
/** What a message gets when the policy could not be looked up. */
export type TempAction = "defer" | "accept"
/** What a message gets whose From field DMARC cannot evaluate: no domain, or more than {@link maxFromDomains}. */
export type BadFromAction = "reject" | "accept"

/** The plugin's options, as written in code or `cartero.config.ts`. Every member is optional. */
export interface Options {
  /**
   * This server's `authserv-id` in `Authentication-Results:` (RFC 8601 §2.5). Default the server's host name
   * (`CARTERO_HOSTNAME`, else the OS host name).
   */
  readonly authservId?: string | undefined
  /** `enforce` (default) or `monitor`: write the results, refuse and quarantine nothing. */
  readonly mode?: Mode | undefined
  /** A failing message under `p=reject`: default `reject` (`550 5.7.1`). */
  readonly reject?: RejectAction | undefined
  /** A failing message under `p=quarantine`: default `quarantine` (the quarantine header). */
  readonly quarantine?: QuarantineAction | undefined
  /** The policy lookup failed (SERVFAIL, timeout): default `accept` with `dmarc=temperror`; `defer` answers `451 4.4.3`. */
  readonly temperror?: TempAction | undefined
  /**
   * A From field DMARC cannot evaluate: no address with a domain (or no From at all), or more than
   * {@link maxFromDomains} distinct domains. Default `reject` (`550 5.7.1`); `accept` writes `dmarc=permerror`.
   */
  readonly badFrom?: BadFromAction | undefined
  /** The header added to quarantined messages. Default `X-Cartero-Quarantine`. */
  readonly quarantineHeader?: string | undefined
}

/** The validated options. */
export interface Policy {
  readonly authservId: string
  readonly mode: Mode
  readonly reject: RejectAction
  readonly quarantine: QuarantineAction
  readonly temperror: TempAction
  readonly badFrom: BadFromAction
  readonly quarantineHeader: string
}

/** An option that cannot be used. */
export class DmarcOptionError extends Data.TaggedError("DmarcOptionError")<{
  readonly field: keyof Options
  readonly detail: string
}> {
  override get message(): string {
    return `DMARC plugin: invalid ${this.field}: ${this.detail}`
  }
}

export const modes: ReadonlyArray<Mode> = ["enforce", "monitor"]
export const rejectActions: ReadonlyArray<RejectAction> = ["reject", "quarantine", "tag"]
export const quarantineActions: ReadonlyArray<QuarantineAction> = ["quarantine", "tag"]
export const tempActions: ReadonlyArray<TempAction> = ["defer", "accept"]
export const badFromActions: ReadonlyArray<BadFromAction> = ["reject", "accept"]

const authservIdPattern = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/

/** Validates the options (the action names too, for configs the compiler did not check). */
export const make = (options: Options & { readonly authservId: string }): Result.Result<Policy, DmarcOptionError> => {
  const bad = (field: keyof Options, detail: string) => Result.fail(new DmarcOptionError({ field, detail }))
  const check = <A extends string>(value: A | undefined, allowed: ReadonlyArray<A>) =>
    value === undefined || allowed.includes(value)
      ? undefined
      : `expected one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`
  const problems: ReadonlyArray<readonly [keyof Options, string | undefined]> = [
    ["mode", check(options.mode, modes)],
    ["reject", check(options.reject, rejectActions)],
    ["quarantine", check(options.quarantine, quarantineActions)],
    ["temperror", check(options.temperror, tempActions)],
    ["badFrom", check(options.badFrom, badFromActions)]
  ]
  for (const [field, problem] of problems) if (problem !== undefined) return bad(field, problem)
  if (!authservIdPattern.test(options.authservId)) {
    return bad("authservId", `expected a host name, got ${JSON.stringify(options.authservId)}`)
  }
  const quarantineHeader = options.quarantineHeader ?? "X-Cartero-Quarantine"
  if (!Header.isFieldName(quarantineHeader)) return bad("quarantineHeader", `not a header field name: ${JSON.stringify(quarantineHeader)}`)
  return Result.succeed({
    authservId: options.authservId,
    mode: options.mode ?? "enforce",
    reject: options.reject ?? "reject",
    quarantine: options.quarantine ?? "quarantine",
    temperror: options.temperror ?? "accept",
    badFrom: options.badFrom ?? "reject",
    quarantineHeader
  })
}

/** The policy a domain published, as RFC 7489 §6.3 allows it: anything else counts as no policy. */
export type Published = "none" | "quarantine" | "reject"

/** mailauth's `policy` (already `sp` for a subdomain when given) as a valid policy, or `none` (RFC 7489 §6.6.3). */
export const published = (policy: string | undefined): Published => {
  const p = (policy ?? "").trim().toLowerCase()
  return p === "reject" || p === "quarantine" ? p : "none"
}

/** The next less strict policy, for a message outside `pct` (RFC 7489 §6.6.4). */
export const relax = (policy: Published): Published => (policy === "reject" ? "quarantine" : "none")

/** What the evaluation of one From domain asks for, most severe last. */
export type Action = "tag" | "quarantine" | "defer" | "reject"

const severity: Readonly<Record<Action, number>> = { tag: 0, quarantine: 1, defer: 2, reject: 3 }

/** The more severe of two actions (a message with several From domains gets the most severe of theirs). */
export const worst = (a: Action, b: Action): Action => (severity[b] > severity[a] ? b : a)

/** The action for one evaluated domain: its result, and its effective policy (after `pct`). */
export const decide = (policy: Policy, result: string, effective: Published): Action => {
  if (policy.mode === "monitor") return "tag"
  switch (result) {
    case "fail":
      return effective === "reject" ? policy.reject : effective === "quarantine" ? policy.quarantine : "tag"
    case "temperror":
      return policy.temperror === "defer" ? "defer" : "tag"
    default:
      return "tag"
  }
}

/**
 * The most distinct From domains evaluated: each costs DNS lookups, and a message naming hundreds of domains is an
 * attack on the receiver, not correspondence (RFC 5322 allows several authors; real mail names one or two).
 */
export const maxFromDomains = 10

/** The action for a message whose From field cannot be evaluated (no domain, or too many). */
export const decideBadFrom = (policy: Policy): Action =>
  policy.mode === "enforce" && policy.badFrom === "reject" ? "reject" : "tag"

/** The refusal replies (exported for tests and documentation). */
export const replies = {
  reject: (domain: string) =>
    Verdict.reject("5.7.1", `Message rejected by the DMARC policy of ${domain}: not authenticated by an aligned SPF or DKIM result`),
  temperror: (domain: string) =>
    Verdict.defer("4.4.3", `DMARC policy of ${domain} could not be looked up, please try again later`),
  noFrom: Verdict.reject("5.7.1", "Message rejected: no From address with a domain (RFC 5322 section 3.6.2)"),
  tooManyFrom: Verdict.reject("5.7.1", `Message rejected: more than ${maxFromDomains} From domains`)
} as const
