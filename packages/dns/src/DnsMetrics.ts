/**
 * Metrics of the `Dns` service (Effect `Metric`, exported by whatever metrics layer the app installs), by record
 * type (`type="MX|A|AAAA|TXT|PTR"`, the only lookups the service makes, so the label set is fixed):
 *
 * - `cartero_dns_cache_hits_total{type}`, `cartero_dns_cache_misses_total{type}`: lookups answered from the cache
 *   (positive or negative answers, RFC 2308) or not; their sum is every lookup;
 * - `cartero_dns_queries_total{type}`: questions sent to a nameserver (each try of each server, retries included);
 * - `cartero_dns_query_failures_total{type}`: those that got no usable answer (timeout, SERVFAIL, REFUSED).
 *
 * Updated synchronously in the registry of the context the service was built in ({@link Recorder}): one registry
 * lookup and an addition per update, nothing allocated.
 *
 * @since 0.1.0
 */
import { type Context, Metric } from "effect"

/** The record types the service looks up. */
export type RecordType = "MX" | "A" | "AAAA" | "TXT" | "PTR"
export const recordTypes: ReadonlyArray<RecordType> = ["MX", "A", "AAAA", "TXT", "PTR"]

const byType = (id: string, description: string): Readonly<Record<RecordType, Metric.Metric<number, unknown>>> => {
  const out = {} as Record<RecordType, Metric.Metric<number, unknown>>
  for (const type of recordTypes) out[type] = Metric.counter(id, { description, attributes: { type } })
  return out
}

export const cacheHits = byType("cartero_dns_cache_hits_total", "DNS lookups answered from the cache, by record type")
export const cacheMisses = byType("cartero_dns_cache_misses_total", "DNS lookups not in the cache, by record type")
export const queries = byType("cartero_dns_queries_total", "DNS questions sent to a nameserver, by record type")
export const queryFailures = byType("cartero_dns_query_failures_total", "DNS questions that got no usable answer, by record type")

/** Every metric of the module. */
export const all: ReadonlyArray<Metric.Metric<never, unknown>> = [cacheHits, cacheMisses, queries, queryFailures].flatMap((m) => Object.values(m))

/** Updates the metrics in the registry of `context` (the one the service was built in). */
export class Recorder {
  constructor(private readonly context: Context.Context<never>) {}

  /** Registers every series, at zero, so that an exporter shows them before the first lookup. */
  register(): void {
    for (const metric of all) metric.valueUnsafe(this.context)
  }

  lookup(type: RecordType, hit: boolean): void {
    const counters = hit ? cacheHits : cacheMisses
    counters[type].updateUnsafe(1, this.context)
  }

  query(type: RecordType): void {
    queries[type].updateUnsafe(1, this.context)
  }

  queryFailed(type: RecordType): void {
    queryFailures[type].updateUnsafe(1, this.context)
  }
}
