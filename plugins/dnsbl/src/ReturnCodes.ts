/**
 * Return-code filters of DNS blocklist answers, in Postfix's `postscreen_dnsbl_sites` syntax: a dotted quad whose
 * octets are each a number, or a bracketed list of numbers and ranges separated by `;`:
 *
 * | filter | matches |
 * |---|---|
 * | `127.0.0.2` | exactly that answer |
 * | `127.0.0.[2..11]` | `127.0.0.2` … `127.0.0.11` |
 * | `127.0.[2..15].[0;1]` | the third octet 2–15 and the fourth 0 or 1 |
 * | `127.0.0.[2;4;10..11]` | `127.0.0.2`, `.4`, `.10`, `.11` |
 *
 * A list answers with meaningful codes (Spamhaus ZEN: `.2`/`.3` SBL, `.4`–`.7` XBL, `.9` DROP, `.10`/`.11` PBL), so
 * a filter chooses which of a zone's sub-lists count. Without a filter every answer in `127.0.0.0/8` counts.
 *
 * Some answers are never listings ({@link classify}): Spamhaus answers `127.255.255.252` (a malformed query),
 * `127.255.255.254` (queried through a public or open resolver) and `127.255.255.255` (over the free-use limit) to
 * say "I will not answer you": treating those as listings would reject every client. Answers outside `127.0.0.0/8`
 * come from a resolver that rewrites NXDOMAIN to an advertising address, or a zone that was taken over; they are
 * ignored too. The plugin logs both kinds at warn, so the operator sees a zone that stopped working.
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"

/** One octet's accepted values, as inclusive ranges. */
type Octet = ReadonlyArray<readonly [number, number]>

/** A parsed filter: four octet patterns, and the text it was written as (for logs). */
export interface Filter {
  readonly text: string
  readonly octets: readonly [Octet, Octet, Octet, Octet]
}

/** A filter that cannot be parsed. */
export class FilterError extends Data.TaggedError("FilterError")<{ readonly input: string; readonly detail: string }> {
  override get message(): string {
    return `invalid return-code filter ${JSON.stringify(this.input)}: ${this.detail}`
  }
}

const number = /^(?:0|[1-9]\d{0,2})$/

const parseNumber = (s: string): number | undefined => (number.test(s) && Number(s) <= 255 ? Number(s) : undefined)

const parseOctet = (text: string): Result.Result<Octet, string> => {
  if (!text.startsWith("[")) {
    const n = parseNumber(text)
    return n === undefined ? Result.fail(`${JSON.stringify(text)} is not a number 0-255 or a [list]`) : Result.succeed([[n, n]])
  }
  if (!text.endsWith("]")) return Result.fail(`${JSON.stringify(text)} lacks its closing "]"`)
  const ranges: Array<readonly [number, number]> = []
  for (const element of text.slice(1, -1).split(";")) {
    const bounds = element.split("..")
    const low = parseNumber(bounds[0] ?? "")
    const high = bounds.length === 2 ? parseNumber(bounds[1] ?? "") : low
    if (bounds.length > 2 || low === undefined || high === undefined) {
      return Result.fail(`${JSON.stringify(element)} in ${text} is not a number 0-255 or a range a..b`)
    }
    if (low > high) return Result.fail(`range ${element} in ${text} is empty (${low} > ${high})`)
    ranges.push([low, high])
  }
  return Result.succeed(ranges)
}

/** Parses a filter such as `127.0.0.[2..11]`. */
export const parse = (input: string): Result.Result<Filter, FilterError> => {
  const text = input.trim()
  const fail = (detail: string) => Result.fail(new FilterError({ input, detail }))
  // Split on the dots between octets only: a range's ".." stays inside its brackets.
  const parts: Array<string> = []
  let depth = 0
  let current = ""
  for (const c of text) {
    if (c === "[") depth++
    if (c === "]") depth--
    if (c === "." && depth === 0) {
      parts.push(current)
      current = ""
    } else {
      current += c
    }
  }
  parts.push(current)
  if (parts.length !== 4) return fail("expected four octets, e.g. 127.0.0.2 or 127.0.0.[2..11]")
  const octets: Array<Octet> = []
  for (const part of parts) {
    const octet = parseOctet(part)
    if (Result.isFailure(octet)) return fail(octet.failure)
    octets.push(octet.success)
  }
  const [a, b, c, d] = octets
  if (a === undefined || b === undefined || c === undefined || d === undefined) return fail("expected four octets")
  return Result.succeed({ text, octets: [a, b, c, d] })
}

const octetsOf = (address: string): ReadonlyArray<number> | undefined => {
  const parts = address.split(".")
  if (parts.length !== 4) return undefined
  const out: Array<number> = []
  for (const p of parts) {
    const n = parseNumber(p)
    if (n === undefined) return undefined
    out.push(n)
  }
  return out
}

/** Whether the answer (a dotted quad) matches the filter. */
export const matches = (filter: Filter, address: string): boolean => {
  const octets = octetsOf(address)
  return octets !== undefined &&
    filter.octets.every((ranges, i) => {
      const n = octets[i]
      return n !== undefined && ranges.some(([low, high]) => n >= low && n <= high)
    })
}

/** What an answer means before any filter is applied. */
export type Kind =
  /** A listing code (in `127.0.0.0/8`, not an error code). */
  | "Code"
  /** The list refused to answer (`127.255.255.0/24`: Spamhaus's malformed query, open resolver, over limit). */
  | "ListError"
  /** Not in `127.0.0.0/8`: a rewriting resolver or a hijacked zone; never a listing. */
  | "OutOfRange"

/** Classifies an A answer of a blocklist. */
export const classify = (address: string): Kind => {
  const octets = octetsOf(address)
  if (octets === undefined || octets[0] !== 127) return "OutOfRange"
  return octets[1] === 255 && octets[2] === 255 ? "ListError" : "Code"
}
