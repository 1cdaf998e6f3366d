/**
 * Asking blocklists: one subject (a client address or a domain) against a set of zone entries, every zone at once,
 * within one time budget. What comes back is data ({@link Findings}); what to do about it is {@link Decision}'s.
 *
 * Per zone, one `A` query (entries of the same zone share it) through `@cartero/dns` (cached by TTL, so a client
 * that reconnects costs no query); when an entry counts the answer, one `TXT` query for the reply text (also
 * cached). Outcomes:
 *
 * | answer | result |
 * |---|---|
 * | NXDOMAIN / NODATA | not listed |
 * | codes in `127.0.0.0/8` | listed for each entry whose filter matches one |
 * | `127.255.255.x` (the list refuses us) | not listed, logged at warn |
 * | outside `127.0.0.0/8` (a rewriting resolver) | not listed, logged at warn |
 * | SERVFAIL, REFUSED, timeout, or no answer within the budget | a {@link Failure}: not listed, logged at warn; the plugin passes by default (fail-open) |
 *
 * @since 0.1.0
 */
import { type Dns, DnsError } from "@cartero/dns"
import { Duration, Effect, Option } from "effect"
import * as ReturnCodes from "./ReturnCodes.ts"
import * as Txt from "./Txt.ts"
import type * as Zone from "./Zone.ts"

/** Where the subject came from. */
export type Source = "client" | "helo" | "mailFrom" | "body"

/** A zone entry that lists the subject. */
export interface Listing {
  readonly entry: Zone.Zone
  readonly source: Source
  /** The client address (`192.0.2.1`, mapped IPv4 unmapped) or the domain asked about. */
  readonly subject: string
  /** The answers that matched the entry's filter. */
  readonly codes: ReadonlyArray<string>
  /** The zone's TXT for the listing, sanitised, when it has one. */
  readonly text: string | undefined
}

/** A zone that could not say (fail-open). */
export interface Failure {
  readonly zone: string
  readonly source: Source
  readonly subject: string
  /** `ServFail`, `Refused`, `Timeout` (the resolver's), or `Budget` (no answer within the plugin's time budget). */
  readonly reason: string
}

/** What the lists said about one or more subjects. */
export interface Findings {
  readonly listings: ReadonlyArray<Listing>
  readonly failures: ReadonlyArray<Failure>
}

export const empty: Findings = { listings: [], failures: [] }

/** Both findings together. */
export const combine = (a: Findings, b: Findings): Findings => ({
  listings: [...a.listings, ...b.listings],
  failures: [...a.failures, ...b.failures]
})

/** One question: the name to ask, and the entries (all of one zone) that read its answer. */
export interface Question {
  readonly name: string
  readonly zone: string
  readonly entries: ReadonlyArray<Zone.Zone>
  readonly source: Source
  readonly subject: string
}

/** Groups entries by zone, so each zone is asked once per subject. */
export const byZone = (entries: ReadonlyArray<Zone.Zone>): ReadonlyMap<string, ReadonlyArray<Zone.Zone>> => {
  const groups = new Map<string, Array<Zone.Zone>>()
  for (const e of entries) groups.set(e.zone, [...(groups.get(e.zone) ?? []), e])
  return groups
}

const ask = (dns: Dns.Service, q: Question): Effect.Effect<Findings> =>
  Effect.gen(function*() {
    const answers = yield* Effect.result(dns.a(q.name))
    if (answers._tag === "Failure") {
      const error = answers.failure
      if (DnsError.isPermanent(error)) return empty
      yield* Effect.logWarning("DNSBL lookup failed; not listed (fail-open)").pipe(
        Effect.annotateLogs({ zone: q.zone, subject: q.subject, reason: error.reason, detail: error.detail })
      )
      return { listings: [], failures: [{ zone: q.zone, source: q.source, subject: q.subject, reason: error.reason }] }
    }
    const codes: Array<string> = []
    for (const answer of answers.success) {
      const kind = ReturnCodes.classify(answer)
      if (kind === "Code") codes.push(answer)
      else {
        yield* Effect.logWarning(
          kind === "ListError"
            ? "DNSBL answered an error code (query refused, open resolver or over limit); not listed"
            : "DNSBL answered outside 127.0.0.0/8 (a rewriting resolver?); not listed"
        ).pipe(Effect.annotateLogs({ zone: q.zone, subject: q.subject, answer }))
      }
    }
    const matched = q.entries.flatMap((entry) => {
      const hits = codes.filter((c) => entry.filter === undefined || ReturnCodes.matches(entry.filter, c))
      return hits.length === 0 ? [] : [{ entry, hits }]
    })
    if (matched.length === 0) return empty
    // The text is decoration: a failed TXT lookup leaves the reply without it.
    const txt = yield* dns.txt(q.name).pipe(Effect.map(Txt.sanitize), Effect.orElseSucceed(() => undefined))
    const listings = matched.map(({ entry, hits }): Listing => ({
      entry,
      source: q.source,
      subject: q.subject,
      codes: hits,
      text: txt
    }))
    for (const l of listings) {
      yield* Effect.logInfo("DNSBL listing").pipe(
        Effect.annotateLogs({ zone: l.entry.label, source: l.source, subject: l.subject, codes: l.codes.join(","), action: l.entry.action })
      )
    }
    return { listings, failures: [] }
  })

/**
 * Asks every question at once; each that has no answer when `budget` is spent is a `Budget` failure. The total
 * time is bounded by `budget`, however many zones and however slow the resolver.
 */
export const run = (dns: Dns.Service, questions: ReadonlyArray<Question>, budget: Duration.Duration): Effect.Effect<Findings> =>
  questions.length === 0 ? Effect.succeed(empty) : Effect.forEach(
    questions,
    (q) =>
      ask(dns, q).pipe(
        Effect.timeoutOption(budget),
        Effect.flatMap(Option.match({
          onSome: Effect.succeed,
          onNone: () =>
            Effect.logWarning("DNSBL lookup ran out of time; not listed (fail-open)").pipe(
              Effect.annotateLogs({ zone: q.zone, subject: q.subject, budget: Duration.format(budget) }),
              Effect.as<Findings>({ listings: [], failures: [{ zone: q.zone, source: q.source, subject: q.subject, reason: "Budget" }] })
            )
        }))
      ),
    { concurrency: "unbounded" }
  ).pipe(Effect.map((all) => all.reduce(combine, empty)))
