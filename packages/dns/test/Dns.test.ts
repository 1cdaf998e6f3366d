import { FakeDns } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Schedule } from "effect"
import { TestClock } from "effect/testing"
import * as Dns from "../src/Dns.ts"
import * as DnsError from "../src/DnsError.ts"
import * as Mx from "../src/Mx.ts"

const zones: FakeDns.Zones = {
  "example.test": {
    MX: [
      { priority: 20, exchange: "MX2.example.test." },
      { priority: 10, exchange: "mx1.example.test" },
      { priority: 10, exchange: "mx0.example.test" }
    ],
    TXT: ["v=spf1 -all", "k=" + "x".repeat(400)],
    ttl: 300
  },
  "mx1.example.test": { A: ["127.0.0.1", "127.0.0.2"], AAAA: ["::1"], ttl: 60 },
  "nomail.test": { MX: [{ priority: 0, exchange: "." }] },
  "1.0.0.127.in-addr.arpa": { PTR: ["mx1.example.test."] },
  "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa": { PTR: ["localhost"] },
  "broken.test": { fail: "SERVFAIL" },
  "refused.test": { fail: "REFUSED" },
  "slow.test": { fail: "TIMEOUT" },
  "flaky.test": { fail: "TIMEOUT", failTimes: 1, A: ["127.0.0.9"] },
  "truncated.test": { truncateUdp: true, A: ["127.0.0.7"] },
  "alias.test": { CNAME: "mx1.example.test" },
  "big.test": { A: Array.from({ length: 40 }, (_, i) => `10.0.0.${i + 1}`) }
}

const fastRetry = Schedule.spaced("10 millis").pipe(Schedule.upTo({ times: 2 }))

/** A Dns pointed at the given FakeDns servers (in order), with short timeouts for the failure cases. */
const dnsFor = (servers: ReadonlyArray<FakeDns.Service>, options?: Partial<Dns.Options>) =>
  Dns.make({ nameservers: servers.map((s) => s.nameserver), timeout: "200 millis", retry: fastRetry, ...options })

describe("Dns", () => {
  it.live("answers MX sorted by preference, A, AAAA, TXT joined and PTR for v4 and v6", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const dns = yield* dnsFor([fake])
      assert.deepStrictEqual((yield* dns.mx("Example.Test.")).map((m) => [m.preference, m.exchange]), [
        [10, "mx0.example.test"],
        [10, "mx1.example.test"],
        [20, "mx2.example.test"]
      ])
      assert.deepStrictEqual(yield* dns.a("mx1.example.test"), ["127.0.0.1", "127.0.0.2"])
      assert.deepStrictEqual(yield* dns.aaaa("mx1.example.test"), ["::1"])
      assert.deepStrictEqual(yield* dns.a("alias.test"), ["127.0.0.1", "127.0.0.2"])
      assert.deepStrictEqual(yield* dns.txt("example.test"), ["v=spf1 -all", "k=" + "x".repeat(400)])
      assert.deepStrictEqual(yield* dns.ptr("127.0.0.1"), ["mx1.example.test"])
      assert.deepStrictEqual(yield* dns.ptr("::1"), ["localhost"])
      const bad = yield* Effect.flip(dns.ptr("not-an-ip"))
      assert.strictEqual(bad.reason, "InvalidQuery")
    }))

  it.live("recognises a null MX", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const dns = yield* dnsFor([fake])
      const records = yield* dns.mx("nomail.test")
      assert.deepStrictEqual(records.map((r) => r.exchange), ["."])
      assert.isTrue(Mx.isNullMx(records))
      assert.isFalse(Mx.isNullMx(yield* dns.mx("example.test")))
    }))

  it.live("types every outcome: NXDOMAIN and NODATA permanent, SERVFAIL, REFUSED and timeout temporary", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const dns = yield* dnsFor([fake])
      const outcomes: ReadonlyArray<readonly [Effect.Effect<unknown, DnsError.DnsError>, DnsError.Reason, boolean]> = [
        [dns.mx("nowhere.test"), "NxDomain", true],
        [dns.mx("mx1.example.test"), "NoData", true],
        [dns.a("broken.test"), "ServFail", false],
        [dns.a("refused.test"), "Refused", false],
        [dns.a("slow.test"), "Timeout", false]
      ]
      for (const [lookup, reason, permanent] of outcomes) {
        const e = yield* Effect.flip(lookup)
        assert.strictEqual(e._tag, "DnsError")
        assert.strictEqual(e.reason, reason)
        assert.strictEqual(DnsError.isPermanent(e), permanent, reason)
        assert.strictEqual(DnsError.isTemporary(e), !permanent, reason)
      }
      // Temporary failures are retried (1 + 2 retries); permanent ones are not.
      assert.strictEqual(yield* fake.queryCount({ name: "broken.test" }), 3)
      assert.strictEqual(yield* fake.queryCount({ name: "slow.test" }), 3)
      assert.strictEqual(yield* fake.queryCount({ name: "nowhere.test" }), 1)
    }))

  it.live("retries after a timeout and then succeeds", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const dns = yield* dnsFor([fake])
      assert.deepStrictEqual(yield* dns.a("flaky.test"), ["127.0.0.9"])
      assert.strictEqual(yield* fake.queryCount({ name: "flaky.test" }), 2)
    }))

  it.live("falls back to TCP on a truncated answer, on the same port", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const dns = yield* dnsFor([fake])
      assert.deepStrictEqual(yield* dns.a("truncated.test"), ["127.0.0.7"])
      assert.strictEqual(yield* fake.queryCount({ name: "truncated.test", transport: "udp" }), 1)
      assert.strictEqual(yield* fake.queryCount({ name: "truncated.test", transport: "tcp" }), 1)
      // 40 A records do not fit in 512 octets: dns2's server sets TC by itself.
      assert.strictEqual((yield* dns.a("big.test")).length, 40)
      assert.strictEqual(yield* fake.queryCount({ name: "big.test", transport: "tcp" }), 1)
    }))

  it.live("asks the next nameserver after SERVFAIL or a timeout", () =>
    Effect.gen(function*() {
      const failing = yield* FakeDns.make({ "example.test": { fail: "SERVFAIL" }, "mx1.example.test": { fail: "TIMEOUT" } })
      const good = yield* FakeDns.make(zones)
      const dns = yield* dnsFor([failing, good])
      assert.strictEqual((yield* dns.mx("example.test")).length, 3)
      assert.deepStrictEqual(yield* dns.a("mx1.example.test"), ["127.0.0.1", "127.0.0.2"])
      assert.strictEqual(yield* failing.queryCount(), 2)
      assert.strictEqual(yield* good.queryCount(), 2)
      // An authoritative NXDOMAIN from the first server ends the round.
      yield* Effect.flip(dns.a("nowhere.test"))
      assert.strictEqual(yield* good.queryCount({ name: "nowhere.test" }), 0)
    }))

  it.effect("caches answers for their TTL and negative answers for the SOA TTL (TestClock)", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones, { negativeTtl: 30 })
      const dns = yield* dnsFor([fake])
      yield* dns.a("mx1.example.test")
      yield* dns.a("MX1.example.test.")
      assert.strictEqual(yield* fake.queryCount({ name: "mx1.example.test", type: "A" }), 1)
      yield* TestClock.adjust("59 seconds")
      yield* dns.a("mx1.example.test")
      assert.strictEqual(yield* fake.queryCount({ name: "mx1.example.test", type: "A" }), 1)
      yield* TestClock.adjust("2 seconds")
      yield* dns.a("mx1.example.test")
      assert.strictEqual(yield* fake.queryCount({ name: "mx1.example.test", type: "A" }), 2)

      yield* Effect.flip(dns.mx("nowhere.test"))
      yield* Effect.flip(dns.mx("nowhere.test"))
      assert.strictEqual(yield* fake.queryCount({ name: "nowhere.test" }), 1)
      yield* TestClock.adjust("31 seconds")
      const again = yield* Effect.flip(dns.mx("nowhere.test"))
      assert.strictEqual(again.reason, "NxDomain")
      assert.strictEqual(yield* fake.queryCount({ name: "nowhere.test" }), 2)

      yield* dns.clearCache
      yield* dns.a("mx1.example.test")
      assert.strictEqual(yield* fake.queryCount({ name: "mx1.example.test", type: "A" }), 3)
    }))

  it.live("never caches temporary failures, and a disabled cache always asks", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make({ "x.test": { fail: "SERVFAIL", failTimes: 3, A: ["127.0.0.3"] } })
      const dns = yield* dnsFor([fake])
      yield* Effect.flip(dns.a("x.test"))
      assert.deepStrictEqual(yield* dns.a("x.test"), ["127.0.0.3"])
      const uncached = yield* dnsFor([fake], { cacheSize: 0 })
      yield* uncached.a("x.test")
      yield* uncached.a("x.test")
      assert.strictEqual(yield* fake.queryCount({ name: "x.test" }), 6)
    }))

  it.live("is configured from CARTERO_DNS_SERVERS by layerConfig", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.make(zones)
      const env = { CARTERO_DNS_SERVERS: `127.0.0.1:1, ${fake.nameserver}`, CARTERO_DNS_TIMEOUT: "150ms" }
      const addresses = yield* Dns.Dns.use((dns) => dns.a("mx1.example.test")).pipe(
        Effect.provide(Dns.Dns.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
      )
      assert.deepStrictEqual(addresses, ["127.0.0.1", "127.0.0.2"])
      const bad = yield* Effect.flip(
        Layer.build(Dns.Dns.layerConfig).pipe(
          Effect.scoped,
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CARTERO_DNS_SERVERS: "dns.example:53" } })))
        )
      )
      assert.strictEqual(bad._tag, "NameserverError")
      const timeout = yield* Effect.flip(
        Layer.build(Dns.Dns.layerConfig).pipe(
          Effect.scoped,
          Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CARTERO_DNS_TIMEOUT: "2 seconds" } })))
        )
      )
      assert.include(String(timeout), `CARTERO_DNS_TIMEOUT: expected a duration such as 5s, got "2 seconds"`)
    }))
})
