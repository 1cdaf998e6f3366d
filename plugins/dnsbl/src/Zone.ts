/**
 * One configured blocklist entry: a zone, which of its answers count (a return-code filter), and what a listing
 * does (an action, or a weight towards a score).
 *
 * Written either as an object or as one string in Postfix's `postscreen_dnsbl_sites` form, with an optional action
 * after a colon (Cartero's addition):
 *
 * ```
 * zen.spamhaus.org                         any 127.x.y.z answer: reject
 * zen.spamhaus.org=127.0.0.[2..11]         only those answers: reject
 * b.barracudacentral.org=127.0.0.2*2       weight 2 towards the score (Postfix style)
 * list.dnswl.org=127.0.[2..15].[2;3]*-3    an allow list: weight −3
 * bl.example:tag                           add an X-DNSBL header, do not refuse
 * bl.example=127.0.0.2:defer               451 4.7.1 instead of 554
 * ```
 *
 * The same zone may appear several times with different filters (one DNS query serves them all).
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"
import * as ReturnCodes from "./ReturnCodes.ts"

/**
 * What a listing does:
 * - `reject`: `554 5.7.1 <zone> lists <ip>: <text>`;
 * - `defer`: `451 4.7.1` with the same text (a soft block while trying a new list, or for lists with false positives);
 * - `tag`: no refusal; an `X-DNSBL:` header on the message says who listed what;
 * - `score`: adds the entry's weight to the client's score; the score refuses at the threshold (Postfix
 *   `postscreen_dnsbl_threshold`), negative weights (allow lists) pull it down.
 */
export type Action = "reject" | "defer" | "tag" | "score"

/** What a domain list is asked about. */
export type DomainCheck = "helo" | "mailFrom" | "body"

/** An entry written as an object. */
export interface ZoneOptions {
  /** The zone, e.g. `zen.spamhaus.org`. */
  readonly zone: string
  /** Return-code filter, e.g. `127.0.0.[2..11]`; default: any answer in `127.0.0.0/8`. */
  readonly returnCodes?: string | undefined
  /** Default `reject`, or `score` when a `weight` is given. */
  readonly action?: Action | undefined
  /** Weight towards the score (action `score`); may be negative. Default 1. */
  readonly weight?: number | undefined
  /** IP lists: also ask about IPv6 clients. Default true (a list without IPv6 data answers NXDOMAIN). */
  readonly ipv6?: boolean | undefined
  /** Domain lists: what to ask about. Default `["helo", "mailFrom"]`. */
  readonly checks?: ReadonlyArray<DomainCheck> | undefined
}

/** An entry as written: a string (Postfix syntax) or an object. */
export type ZoneSpec = string | ZoneOptions

/** A validated entry. */
export interface Zone {
  /** The zone, lower case, without a trailing dot. */
  readonly zone: string
  readonly filter: ReturnCodes.Filter | undefined
  readonly action: Action
  readonly weight: number
  readonly ipv6: boolean
  readonly checks: ReadonlySet<DomainCheck>
  /** The entry as the operator would write it, for logs. */
  readonly label: string
}

/** An entry that cannot be used. */
export class ZoneError extends Data.TaggedError("ZoneError")<{ readonly input: string; readonly detail: string }> {
  override get message(): string {
    return `invalid zone ${JSON.stringify(this.input)}: ${this.detail}`
  }
}

const actions: ReadonlyArray<Action> = ["reject", "defer", "tag", "score"]
const domainChecks: ReadonlyArray<DomainCheck> = ["helo", "mailFrom", "body"]
const zoneLabel = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/

const validZone = (raw: string): string | undefined => {
  const zone = raw.trim().toLowerCase().replace(/\.$/, "")
  const labels = zone.split(".")
  return labels.length >= 2 && zone.length <= 200 && labels.every((l) => zoneLabel.test(l)) ? zone : undefined
}

/** Splits `zone[=filter][*weight][:action]` into an object. */
const fromString = (input: string): Result.Result<ZoneOptions, string> => {
  let rest = input.trim()
  let action: string | undefined
  let weight: number | undefined
  let returnCodes: string | undefined
  const colon = rest.lastIndexOf(":")
  if (colon !== -1) {
    action = rest.slice(colon + 1).trim()
    rest = rest.slice(0, colon)
  }
  const star = rest.lastIndexOf("*")
  if (star !== -1) {
    const text = rest.slice(star + 1).trim()
    if (!/^-?\d{1,6}$/.test(text)) return Result.fail(`weight ${JSON.stringify(text)} is not an integer`)
    weight = Number(text)
    rest = rest.slice(0, star)
  }
  const equals = rest.indexOf("=")
  if (equals !== -1) {
    returnCodes = rest.slice(equals + 1)
    rest = rest.slice(0, equals)
  }
  if (action !== undefined && !(actions as ReadonlyArray<string>).includes(action)) {
    return Result.fail(`action ${JSON.stringify(action)} is not one of ${actions.join(", ")}`)
  }
  return Result.succeed({
    zone: rest,
    returnCodes,
    action: action as Action | undefined,
    weight
  })
}

/** The checks of a domain list that does not name its own. */
export const defaultChecks: ReadonlyArray<DomainCheck> = ["helo", "mailFrom"]

/**
 * Validates one entry. `kind` decides the defaults that differ between IP and domain lists; `checks` is what a
 * domain list without its own `checks` is asked about.
 */
export const make = (
  spec: ZoneSpec,
  kind: "ip" | "domain",
  checksDefault: ReadonlyArray<DomainCheck> = defaultChecks
): Result.Result<Zone, ZoneError> => {
  const input = typeof spec === "string" ? spec : JSON.stringify(spec)
  const fail = (detail: string) => Result.fail(new ZoneError({ input, detail }))
  const parsed = typeof spec === "string" ? fromString(spec) : Result.succeed(spec)
  if (Result.isFailure(parsed)) return fail(parsed.failure)
  const options = parsed.success
  if (typeof options.zone !== "string") return fail("zone must be a string")
  const zone = validZone(options.zone)
  if (zone === undefined) return fail(`${JSON.stringify(options.zone)} is not a DNS zone such as zen.spamhaus.org`)
  let filter: ReturnCodes.Filter | undefined
  if (options.returnCodes !== undefined) {
    const f = ReturnCodes.parse(options.returnCodes)
    if (Result.isFailure(f)) return fail(f.failure.message)
    filter = f.success
  }
  const action = options.action ?? (options.weight === undefined ? "reject" : "score")
  if (!actions.includes(action)) return fail(`action ${JSON.stringify(action)} is not one of ${actions.join(", ")}`)
  if (options.weight !== undefined && action !== "score") return fail(`a weight needs the action "score", not "${action}"`)
  const weight = options.weight ?? 1
  if (!Number.isSafeInteger(weight)) return fail(`weight ${weight} is not an integer`)
  const checks = options.checks ?? checksDefault
  if (kind === "ip" && options.checks !== undefined) return fail("checks are for domain lists (domainZones)")
  for (const c of checks) if (!domainChecks.includes(c)) return fail(`check ${JSON.stringify(c)} is not one of ${domainChecks.join(", ")}`)
  if (kind === "domain" && checks.length === 0) return fail("a domain list needs at least one check (helo, mailFrom, body)")
  const label = `${zone}${filter === undefined ? "" : `=${filter.text}`}${action === "score" ? `*${weight}` : ""}${
    action === "reject" || action === "score" ? "" : `:${action}`
  }`
  return Result.succeed({
    zone,
    filter,
    action,
    weight,
    ipv6: options.ipv6 ?? true,
    checks: new Set(kind === "domain" ? checks : []),
    label
  })
}

/** Validates a list of entries; the first bad one fails the list. */
export const makeAll = (
  specs: ReadonlyArray<ZoneSpec>,
  kind: "ip" | "domain",
  checksDefault: ReadonlyArray<DomainCheck> = defaultChecks
): Result.Result<ReadonlyArray<Zone>, ZoneError> => {
  const out: Array<Zone> = []
  for (const spec of specs) {
    const zone = make(spec, kind, checksDefault)
    if (Result.isFailure(zone)) return Result.fail(zone.failure)
    out.push(zone.success)
  }
  return Result.succeed(out)
}

