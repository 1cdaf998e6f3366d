import { assert, describe, it } from "@effect/vitest"
import DNS from "dns2"
import { Effect } from "effect"
import * as FakeDns from "../src/FakeDns.ts"

const zones: FakeDns.Zones = {
  "example.test": {
    MX: [{ priority: 20, exchange: "mx2.example.test" }, { priority: 10, exchange: "mx1.example.test" }],
    TXT: ["v=spf1 -all", "x".repeat(300)],
    ttl: 120
  },
  "MX1.example.test.": { A: ["127.0.0.1"], AAAA: ["::1"] },
  "1.0.0.127.in-addr.arpa": { PTR: ["mx1.example.test"] },
  "broken.test": { fail: "SERVFAIL" },
  "refused.test": { fail: "REFUSED" },
  "slow.test": { fail: "TIMEOUT" },
  "flaky.test": { fail: "TIMEOUT", failTimes: 1, A: ["127.0.0.9"] },
  "big.test": { truncateUdp: true, A: ["127.0.0.7"] },
  "alias.test": { CNAME: "mx1.example.test" }
}

const query = (port: number, name: string, type: string, protocol: "UDP" | "TCP" = "UDP") =>
  Effect.promise(() =>
    new DNS({ nameServers: ["127.0.0.1"], port, timeout: 300, resolverProtocol: protocol }).resolve(name, type).then(
      (packet) => ({ ok: true as const, packet }),
      (error: unknown) => ({ ok: false as const, error: String(error) })
    )
  )

const answered = (port: number, name: string, type: string, protocol: "UDP" | "TCP" = "UDP") =>
  query(port, name, type, protocol).pipe(Effect.flatMap((r) => (r.ok ? Effect.succeed(r.packet) : Effect.die(r.error))))

describe("FakeDns", () => {
  it.live("serves MX, A, AAAA, TXT and PTR over UDP and TCP on one port", () =>
    Effect.gen(function*() {
      const dns = yield* FakeDns.make(zones)
      assert.strictEqual(dns.nameserver, `127.0.0.1:${dns.port}`)
      const mx = yield* answered(dns.port, "example.test", "MX")
      assert.deepStrictEqual(mx.answers.map((a) => [a.priority, a.exchange, a.ttl]), [
        [20, "mx2.example.test", 120],
        [10, "mx1.example.test", 120]
      ])
      assert.deepStrictEqual((yield* answered(dns.port, "mx1.example.test", "A")).answers.map((a) => a.address), ["127.0.0.1"])
      assert.deepStrictEqual((yield* answered(dns.port, "mx1.example.test", "AAAA", "TCP")).answers.map((a) => a.address), ["::1"])
      const txt = yield* answered(dns.port, "example.test", "TXT", "TCP")
      assert.deepStrictEqual(txt.answers.map((a) => a.data), [["v=spf1 -all"], ["x".repeat(255), "x".repeat(45)]])
      const ptr = yield* answered(dns.port, "1.0.0.127.in-addr.arpa", "PTR")
      assert.deepStrictEqual(ptr.answers.map((a) => a.domain), ["mx1.example.test"])
      const alias = yield* answered(dns.port, "alias.test", "A")
      assert.deepStrictEqual(alias.answers.map((a) => [a.type, a.domain ?? a.address]), [
        [DNS.Packet.TYPE.CNAME, "mx1.example.test"],
        [DNS.Packet.TYPE.A, "127.0.0.1"]
      ])
      assert.strictEqual(yield* dns.queryCount({ transport: "tcp" }), 2)
      assert.strictEqual(yield* dns.queryCount({ name: "example.test", type: "mx" }), 1)
    }))

  it.live("answers NXDOMAIN, NODATA, SERVFAIL, REFUSED and silence", () =>
    Effect.gen(function*() {
      const dns = yield* FakeDns.make(zones, { negativeTtl: 30 })
      const nx = yield* answered(dns.port, "nowhere.test", "MX")
      assert.strictEqual(nx.header.rcode, DNS.Packet.RCODE.NXDOMAIN)
      assert.strictEqual(nx.authorities[0]?.minimum, 30)
      const nodata = yield* answered(dns.port, "mx1.example.test", "MX")
      assert.strictEqual(nodata.header.rcode, DNS.Packet.RCODE.NOERROR)
      assert.strictEqual(nodata.answers.length, 0)
      assert.strictEqual((yield* answered(dns.port, "broken.test", "A")).header.rcode, DNS.Packet.RCODE.SERVFAIL)
      assert.strictEqual((yield* answered(dns.port, "refused.test", "A")).header.rcode, DNS.Packet.RCODE.REFUSED)
      const silent = yield* query(dns.port, "slow.test", "A")
      assert.isFalse(silent.ok)
      assert.include(silent.ok ? "" : silent.error, "timed out")
    }))

  it.live("fails only the first failTimes queries, truncates UDP on request, and changes zones at runtime", () =>
    Effect.gen(function*() {
      const dns = yield* FakeDns.make(zones)
      assert.isFalse((yield* query(dns.port, "flaky.test", "A")).ok)
      assert.deepStrictEqual((yield* answered(dns.port, "flaky.test", "A")).answers.map((a) => a.address), ["127.0.0.9"])
      // dns2's client retries a TC answer over TCP on the same port.
      assert.deepStrictEqual((yield* answered(dns.port, "big.test", "A")).answers.map((a) => a.address), ["127.0.0.7"])
      assert.strictEqual(yield* dns.queryCount({ name: "big.test", transport: "udp" }), 1)
      assert.strictEqual(yield* dns.queryCount({ name: "big.test", transport: "tcp" }), 1)
      yield* dns.setZone("new.test", { A: ["127.0.0.5"] })
      assert.deepStrictEqual((yield* answered(dns.port, "new.test", "A")).answers.map((a) => a.address), ["127.0.0.5"])
      yield* dns.setZones({})
      assert.strictEqual((yield* answered(dns.port, "example.test", "MX")).header.rcode, DNS.Packet.RCODE.NXDOMAIN)
      yield* dns.clearQueries
      assert.strictEqual((yield* dns.queries).length, 0)
    }))

  it.live("is provided as a layer", () =>
    Effect.gen(function*() {
      const dns = yield* FakeDns.FakeDns
      assert.isAbove(dns.port, 0)
      assert.strictEqual((yield* answered(dns.port, "example.test", "MX")).answers.length, 2)
    }).pipe(Effect.provide(FakeDns.FakeDns.layer(zones))))
})
