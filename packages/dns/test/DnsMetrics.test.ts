/** The DNS metrics move with real lookups against a real dns2 server (FakeDns); each test has a registry of its own. */
import { FakeDns } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Metric, Schedule } from "effect"
import * as Dns from "../src/Dns.ts"
import * as DnsMetrics from "../src/DnsMetrics.ts"

const zones: FakeDns.Zones = {
  "example.test": { MX: [{ priority: 10, exchange: "mx.example.test" }], ttl: 300 },
  "mx.example.test": { A: ["127.0.0.1"], ttl: 300 },
  "broken.test": { fail: "SERVFAIL" }
}

const count = (metric: Metric.Metric<number, unknown>) =>
  Effect.map(Metric.value(metric), (state) => Number((state as { readonly count: number }).count))

const isolated = <A, E>(f: Effect.Effect<A, E>) => Effect.provideService(f, Metric.MetricRegistry, new Map())

describe("DnsMetrics", () => {
  it.live("cache hits and misses, queries and failed queries, by record type", () =>
    isolated(Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const dns = yield* Dns.make({
        nameservers: [fake.nameserver],
        timeout: "500 millis",
        retry: Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 1 }))
      })
      // Every series is there at zero once the service is built.
      const ids = new Set((yield* Metric.snapshot).map((m) => `${m.id} ${String(m.attributes?.["type"])}`))
      for (const type of DnsMetrics.recordTypes) assert.isTrue(ids.has(`cartero_dns_cache_hits_total ${type}`), type)

      yield* dns.mx("example.test")
      yield* dns.mx("EXAMPLE.test.")
      yield* dns.a("mx.example.test")
      yield* Effect.flip(dns.a("broken.test"))
      yield* Effect.flip(dns.txt("nowhere.test"))
      yield* Effect.flip(dns.txt("nowhere.test"))

      assert.deepStrictEqual(
        yield* Effect.all({
          mxHits: count(DnsMetrics.cacheHits.MX),
          mxMisses: count(DnsMetrics.cacheMisses.MX),
          mxQueries: count(DnsMetrics.queries.MX),
          aMisses: count(DnsMetrics.cacheMisses.A),
          // broken.test: tried, then retried once, both SERVFAIL (not cached); mx.example.test once.
          aQueries: count(DnsMetrics.queries.A),
          aFailures: count(DnsMetrics.queryFailures.A),
          // NXDOMAIN is an answer, not a failed query, and is cached (negative TTL from the SOA).
          txtMisses: count(DnsMetrics.cacheMisses.TXT),
          txtHits: count(DnsMetrics.cacheHits.TXT),
          txtFailures: count(DnsMetrics.queryFailures.TXT),
          ptr: count(DnsMetrics.queries.PTR)
        }),
        { mxHits: 1, mxMisses: 1, mxQueries: 1, aMisses: 2, aQueries: 3, aFailures: 2, txtMisses: 1, txtHits: 1, txtFailures: 0, ptr: 0 }
      )
      assert.strictEqual(yield* fake.queryCount({ name: "broken.test" }), 2)
    }).pipe(Effect.scoped)))
})
