/**
 * `--scrape-metrics S`: a Prometheus-like scraper of the spawned Cartero's `GET /metrics` (its HTTP API on a free
 * loopback port), one request every S seconds for the whole measurement, as `curl -s 127.0.0.1:<port>/metrics` in a
 * loop would. Its purpose is the overhead measurement of the metrics (issue 14: under 5 % of accept and e2e CPU per
 * message, docs/benchmarks.md "Metrics overhead"): the same run with and without it, the server's CPU per message
 * compared. The summary shows that the counters moved.
 *
 * One request at a time (a scrape that is still running when the next is due is skipped), each bounded by the
 * interval or 1 s, whichever is longer, so a slow server is not piled up on.
 *
 * @since 0.1.0
 */

/** What a scraper saw. */
export interface Summary {
  readonly scrapes: number
  readonly failed: number
  readonly bytes: number
  /** The last error, when some scrape failed. */
  readonly lastError: string | undefined
  /** Change of the watched series between the first and the last successful scrape. */
  readonly moved: ReadonlyArray<readonly [string, number]>
  /** Counter increments plus histogram observations between the first and the last scrape (what recording did). */
  readonly updates: number
}

/** The series whose change the summary reports. */
export const watched: ReadonlyArray<string> = [
  "cartero_smtp_messages_accepted_total",
  "cartero_smtp_commands_total{verb=\"RCPT\"}",
  "cartero_delivery_delivered_total",
  "cartero_delivery_connections_reused_total"
]

/** The value of one sample line (`name{labels} value`) of a Prometheus text, or undefined. */
export const sample = (text: string, series: string): number | undefined => {
  const at = text.startsWith(`${series} `) ? 0 : text.indexOf(`\n${series} `)
  if (at < 0) return undefined
  const start = (at === 0 ? 0 : at + 1) + series.length + 1
  const end = text.indexOf("\n", start)
  const value = Number(text.slice(start, end < 0 ? undefined : end))
  return Number.isFinite(value) ? value : undefined
}

/** Every counter (`…_total`) and histogram count (`…_count`) sample of a scrape, by series. */
const counts = (text: string): Map<string, number> => {
  const out = new Map<string, number>()
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue
    const space = line.lastIndexOf(" ")
    const series = line.slice(0, space)
    const name = series.split("{")[0] ?? ""
    const value = Number(line.slice(space + 1))
    if ((name.endsWith("_total") || name.endsWith("_count")) && Number.isFinite(value)) out.set(series, value)
  }
  return out
}

/** How many metric updates (counter increments, histogram observations) happened between two scrapes. */
export const updates = (first: string, last: string): number => {
  const before = counts(first)
  let total = 0
  for (const [series, value] of counts(last)) total += value - (before.get(series) ?? 0)
  return total
}

export interface Scraper {
  /** Stops scraping (an in-flight request is aborted) and summarises. */
  readonly stop: () => Summary
}

/** Starts scraping `url` every `intervalMs`. */
export const start = (url: string, intervalMs: number): Scraper => {
  let scrapes = 0
  let failed = 0
  let bytes = 0
  let lastError: string | undefined
  let first: string | undefined
  let last: string | undefined
  let inFlight: AbortController | undefined

  const scrape = async (): Promise<void> => {
    if (inFlight !== undefined) return
    const controller = new AbortController()
    inFlight = controller
    const timer = setTimeout(() => controller.abort(), Math.max(intervalMs, 1000))
    try {
      const response = await fetch(url, { signal: controller.signal })
      const text = await response.text()
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      scrapes++
      bytes += text.length
      first ??= text
      last = text
    } catch (e) {
      failed++
      lastError = e instanceof Error ? e.message : String(e)
    } finally {
      clearTimeout(timer)
      inFlight = undefined
    }
  }

  const interval = setInterval(() => void scrape(), intervalMs)
  void scrape()
  return {
    stop: () => {
      clearInterval(interval)
      inFlight?.abort()
      const moved = watched.flatMap((series) => {
        const a = first === undefined ? undefined : sample(first, series)
        const b = last === undefined ? undefined : sample(last, series)
        return a === undefined || b === undefined ? [] : [[series, b - a] as const]
      })
      const updated = first === undefined || last === undefined ? 0 : updates(first, last)
      return { scrapes, failed, bytes, lastError, moved, updates: updated }
    }
  }
}

/** One line for the run's notes. */
export const describe = (summary: Summary, intervalSeconds: number): string =>
  `metrics: ${summary.scrapes} scrapes every ${intervalSeconds} s (${(summary.bytes / Math.max(1, summary.scrapes) / 1024).toFixed(1)} KiB each)` +
  (summary.failed > 0 ? `, ${summary.failed} failed (last: ${summary.lastError ?? "?"})` : "") +
  (summary.moved.length > 0 ? `; moved: ${summary.moved.map(([s, d]) => `${s} +${d}`).join(", ")}` : "") +
  `; ${summary.updates} metric updates (counter increments and histogram observations)`
