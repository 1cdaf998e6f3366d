/**
 * Statistics and output: exact percentiles, the one-row-per-run table and its JSON twin.
 *
 * Percentiles are exact (nearest rank over all sorted samples), not estimated from a histogram: a run keeps at
 * most a few hundred thousand samples, which sort in milliseconds, and an exact figure is one less thing to doubt
 * when comparing servers.
 *
 * @since 0.1.0
 */

/** Sorts a copy of the samples ascending (numeric sort, unlike `Array.prototype.sort`'s default). */
export const sorted = (samples: ArrayLike<number>): Float64Array => Float64Array.from(samples).sort()

/**
 * The `p`-th percentile (0 < p <= 100) of ascending `sorted` samples by the nearest-rank method: the smallest
 * sample such that at least p % of the samples are less than or equal to it. `undefined` when there are no samples.
 */
export const percentile = (sortedSamples: ArrayLike<number>, p: number): number | undefined => {
  const n = sortedSamples.length
  if (n === 0) return undefined
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`)
  const rank = Math.ceil((p / 100) * n)
  return sortedSamples[Math.min(n, Math.max(1, rank)) - 1]
}

/** Summary of one latency distribution, in milliseconds. */
export interface Latency {
  readonly count: number
  readonly p50: number | undefined
  readonly p90: number | undefined
  readonly p99: number | undefined
  readonly max: number | undefined
}

/** Summarises samples (any order). */
export const summarize = (samples: ArrayLike<number>): Latency => {
  const s = sorted(samples)
  return {
    count: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length === 0 ? undefined : s[s.length - 1]
  }
}

/** One benchmark run, as printed. `null` marks a figure that does not apply to the run (JSON-friendly). */
export interface Row {
  readonly scenario: string
  /** What was measured: `cartero`, `sink`, or the `--label` of an external server. */
  readonly server: string
  readonly store: string
  readonly concurrency: number
  /** Messages attempted in the run (all connections together). */
  readonly messages: number
  /** Messages not accepted: 4xx/5xx replies, timeouts, connection failures, or (e2e) never arrived. */
  readonly errors: number
  readonly seconds: number
  /** Accepted (accept) or delivered (e2e) messages per second. */
  readonly msgsPerSec: number
  readonly acceptP50Ms: number | null
  readonly acceptP90Ms: number | null
  readonly acceptP99Ms: number | null
  readonly e2eP50Ms: number | null
  readonly e2eP99Ms: number | null
  readonly peakRssMiB: number | null
  readonly cpuMsPerMsg: number | null
  readonly size: number
  readonly pipelining: "on" | "off" | "full"
  readonly newConnection: boolean
  readonly messagesPerConnection: number
}

/** `undefined` → `null`, for rows and JSON. */
export const orNull = (n: number | undefined): number | null => (n === undefined || Number.isNaN(n) ? null : n)

interface Column {
  readonly title: string
  readonly width: number
  readonly cell: (row: Row) => string
}

const num = (n: number | null, digits: number): string => (n === null ? "-" : n.toFixed(digits))

const columns: ReadonlyArray<Column> = [
  { title: "scenario", width: 8, cell: (r) => r.scenario },
  { title: "server", width: 10, cell: (r) => r.server },
  { title: "store", width: 7, cell: (r) => r.store },
  { title: "conc", width: 5, cell: (r) => String(r.concurrency) },
  { title: "msgs", width: 7, cell: (r) => String(r.messages) },
  { title: "errs", width: 5, cell: (r) => String(r.errors) },
  { title: "secs", width: 7, cell: (r) => r.seconds.toFixed(2) },
  { title: "msgs/s", width: 8, cell: (r) => r.msgsPerSec.toFixed(0) },
  { title: "acc p50", width: 8, cell: (r) => num(r.acceptP50Ms, 2) },
  { title: "acc p90", width: 8, cell: (r) => num(r.acceptP90Ms, 2) },
  { title: "acc p99", width: 8, cell: (r) => num(r.acceptP99Ms, 2) },
  { title: "e2e p50", width: 8, cell: (r) => num(r.e2eP50Ms, 1) },
  { title: "e2e p99", width: 8, cell: (r) => num(r.e2eP99Ms, 1) },
  { title: "rss MiB", width: 8, cell: (r) => num(r.peakRssMiB, 1) },
  { title: "cpu ms/msg", width: 10, cell: (r) => num(r.cpuMsPerMsg, 3) }
]

const pad = (text: string, width: number, first: boolean): string =>
  first ? text.padEnd(width) : text.padStart(width)

/** The table header (latencies in milliseconds). */
export const header = (): string => columns.map((c, i) => pad(c.title, c.width, i < 3)).join(" ")

/** One table row. */
export const formatRow = (row: Row): string => columns.map((c, i) => pad(c.cell(row), c.width, i < 3)).join(" ")

/** One JSON line per run (JSON Lines), figures rounded to microseconds. */
export const toJson = (row: Row): string =>
  JSON.stringify(row, (_key, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value)
