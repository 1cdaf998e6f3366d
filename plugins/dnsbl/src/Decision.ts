/**
 * What the plugin answers for a set of {@link Check.Findings}: a refusal, or nothing (and maybe tag headers).
 *
 * Precedence, first that applies:
 * 1. a listing whose entry's action is `reject`: `554 5.7.1 <zone> lists <subject>: <text>`;
 * 2. a listing whose action is `defer`: `451 4.7.1 <zone> lists <subject>: <text>`;
 * 3. the weights of the `score` listings add up to at least the threshold: `554 5.7.1`, naming the listing with
 *    the greatest weight;
 * 4. a zone could not be asked (SERVFAIL, timeout) and `onTempFail` is `defer`:
 *    `451 4.7.1 Blocklist lookup failed for <subject>, please try again later`; with the default `pass` nothing.
 *
 * Listings whose action is `tag` never refuse; they become `X-DNSBL: <zone> lists <subject> (<codes>)` headers
 * (one per listing, the header name configurable), added to the message if it is accepted.
 *
 * `554` rather than `550`: it is the reply Postfix (`reject_rbl_client`, postscreen) and most MTAs give for a
 * blocklisted client, and at connection time RFC 5321 §3.1 names `554` as the refusal.
 *
 * @since 0.1.0
 */
import { Header, Verdict } from "@cartero/smtp"
import type * as Check from "./Check.ts"

/** The decision's settings. */
export interface Settings {
  /** Score at which `score` listings refuse (Postfix `postscreen_dnsbl_threshold`). */
  readonly threshold: number
  /** A zone that could not be asked: let the client through (`pass`, default) or `defer` it. */
  readonly onTempFail: "pass" | "defer"
  /** Name of the tag header. */
  readonly tagHeader: string
}

/** The reply text of a listing. */
export const text = (listing: Check.Listing): string =>
  `${listing.entry.zone} lists ${listing.subject}${listing.text === undefined ? "" : `: ${listing.text}`}`

/** The score of the findings: the weight of every `score` entry that lists a subject, each entry counted once per subject. */
export const score = (findings: Check.Findings): number => {
  const seen = new Set<string>()
  let total = 0
  for (const l of findings.listings) {
    const key = `${l.entry.label} ${l.subject}`
    if (l.entry.action !== "score" || seen.has(key)) continue
    seen.add(key)
    total += l.entry.weight
  }
  return total
}

/** The refusal the findings call for, or `undefined`. */
export const refusal = (findings: Check.Findings, settings: Settings): Verdict.Reject | Verdict.Defer | undefined => {
  const of = (action: string) => findings.listings.find((l) => l.entry.action === action)
  const rejected = of("reject")
  if (rejected !== undefined) return Verdict.reject("5.7.1", text(rejected), { code: 554 })
  const deferred = of("defer")
  if (deferred !== undefined) return Verdict.defer("4.7.1", text(deferred), { code: 451 })
  const scored = findings.listings.filter((l) => l.entry.action === "score")
  if (scored.length > 0 && score(findings) >= settings.threshold) {
    const strongest = scored.reduce((a, b) => (b.entry.weight > a.entry.weight ? b : a))
    return Verdict.reject("5.7.1", text(strongest), { code: 554 })
  }
  const failed = findings.failures[0]
  if (failed !== undefined && settings.onTempFail === "defer") {
    return Verdict.defer("4.7.1", `Blocklist lookup failed for ${failed.subject}, please try again later`, { code: 451 })
  }
  return undefined
}

/** The tag headers of the findings' `tag` listings. */
export const headers = (findings: Check.Findings, settings: Settings): ReadonlyArray<Header.Header> =>
  findings.listings
    .filter((l) => l.entry.action === "tag")
    .map((l) => Header.make(settings.tagHeader, `${l.entry.zone} lists ${l.subject} (${l.codes.join(", ")})`))
