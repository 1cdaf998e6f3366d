/**
 * Dates in `Date:` and `Received:` fields: RFC 5322 §3.3 plus the obsolete forms of §4.3 (two- and three-digit
 * years, alphabetic zones, missing seconds or day of week, comments), with `Date.parse` as a last resort for the
 * ISO-ish dates some software writes.
 *
 * Bounded work: only the first {@link MAX_LENGTH} characters of a value are read (a date-time with its comments is
 * a few dozen) and comments are removed by a single-pass scanner, so a hostile value (a megabyte of `(`) costs no
 * more than a short one.
 *
 * @since 0.1.0
 */
import { stripComments } from "./internal/comments.ts"

const months: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 }
const zones: Record<string, number> = { ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 }

const pattern =
  /^(?:[a-z]{2,}\s*,?\s*)?(\d{1,2})\s*[\s-]\s*([a-z]{3})[a-z]*\.?\s*[\s-]\s*(\d{2,4})\s+(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2})(?:\.\d+)?)?\s*([+-]\d{1,4}|[a-z]+)?/i

/** How much of a value is read: a date written after this many characters is not a date anyone meant. */
export const MAX_LENGTH = 1000

/** Parses a date-time; `undefined` when nothing sensible can be read. */
export const parse = (value: string): Date | undefined => {
  const head = value.length > MAX_LENGTH ? value.slice(0, MAX_LENGTH) : value
  const text = stripComments(head, " ").replace(/\s+/g, " ").trim()
  const m = pattern.exec(text)
  if (m !== null) {
    const month = months[(m[2] ?? "").toLowerCase()]
    if (month !== undefined) {
      let year = Number(m[3])
      if ((m[3] ?? "").length === 2) year += year < 50 ? 2000 : 1900
      else if ((m[3] ?? "").length === 3) year += 1900
      const zone = (m[7] ?? "").toLowerCase()
      let offset = 0
      if (/^[+-]\d{1,4}$/.test(zone)) {
        const digits = zone.slice(1).padStart(4, "0")
        offset = (zone[0] === "-" ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)))
      } else offset = zones[zone] ?? 0 // RFC 5322 §4.3: other (military) zones mean -0000
      const ms = Date.UTC(year, month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0)) - offset * 60_000
      if (Number.isFinite(ms)) return new Date(ms)
    }
  }
  const fallback = Date.parse(text)
  return Number.isFinite(fallback) ? new Date(fallback) : undefined
}

const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
const monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
const pad = (n: number) => String(n).padStart(2, "0")

/** Formats an RFC 5322 date-time in UTC (`+0000`), e.g. `Thu, 26 Nov 2026 05:25:07 +0000`. */
export const format = (date: Date): string =>
  `${days[date.getUTCDay()]}, ${date.getUTCDate()} ${monthNames[date.getUTCMonth()]} ${date.getUTCFullYear()} ` +
  `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
