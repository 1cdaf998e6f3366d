import { assert, describe, it } from "@effect/vitest"
import { Dns } from "@cartero/dns"
import type { MemoryDns } from "@cartero/dns"
import { SmtpReply } from "@cartero/smtp"
import { Effect, Layer } from "effect"
import * as Auth from "../src/Auth.ts"
import { DeliveryConfig, defaults, isSelfEndpoint, type Settings } from "../src/DeliveryConfig.ts"
import type * as Route from "../src/Route.ts"
import { Router } from "../src/Router.ts"
import * as StaticRoutes from "../src/StaticRoutes.ts"

const zones: MemoryDns.Zones = {
  "example.test": { MX: [{ priority: 20, exchange: "mx2.example.test" }, { priority: 10, exchange: "mx1.example.test" }] },
  "mx1.example.test": { A: ["127.0.0.1"], AAAA: ["::1"] },
  "mx2.example.test": { A: ["127.0.0.2"] },
  "spread.test": { MX: [{ priority: 10, exchange: "a.spread.test" }, { priority: 10, exchange: "b.spread.test" }, { priority: 20, exchange: "c.spread.test" }] },
  "a.spread.test": { A: ["127.0.1.1"] },
  "b.spread.test": { A: ["127.0.1.2"] },
  "c.spread.test": { A: ["127.0.1.3"] },
  "implicit.test": { A: ["127.0.0.5"], TXT: ["v=spf1 -all"] },
  "noaddr.test": { TXT: ["exists, but no MX and no address"] },
  "nullmx.test": { MX: [{ priority: 0, exchange: "." }] },
  "servfail.test": { fail: "SERVFAIL" },
  "flaky.test": { fail: "SERVFAIL", failTimes: 1, MX: [{ priority: 10, exchange: "mx1.example.test" }] },
  "partial.test": { MX: [{ priority: 5, exchange: "ghost.partial.test" }, { priority: 10, exchange: "mx1.example.test" }] },
  "ghost.partial.test": { TXT: ["no address"] },
  "allghost.test": { MX: [{ priority: 5, exchange: "ghost.partial.test" }, { priority: 10, exchange: "gone.allghost.test" }] },
  "tempghost.test": { MX: [{ priority: 5, exchange: "broken.tempghost.test" }] },
  "broken.tempghost.test": { fail: "SERVFAIL" },
  "loop.test": { MX: [{ priority: 10, exchange: "mx.self.test" }, { priority: 20, exchange: "backup.loop.test" }] },
  "backup.loop.test": { A: ["127.0.0.9"] },
  "mx.self.test": { A: ["127.0.0.1"] },
  "backupmx.test": { MX: [{ priority: 5, exchange: "primary.backupmx.test" }, { priority: 10, exchange: "mx.self.test" }, { priority: 20, exchange: "other.backupmx.test" }] },
  "primary.backupmx.test": { A: ["127.0.0.7"] },
  "other.backupmx.test": { A: ["127.0.0.8"] },
  "selfaddr.test": { MX: [{ priority: 10, exchange: "alias.selfaddr.test" }] },
  "alias.selfaddr.test": { A: ["127.0.0.53"] },
  "relay.test": { A: ["127.0.0.44"] },
  "xn--bcher-kva.test": { MX: [{ priority: 10, exchange: "mx1.example.test" }] }
}

const run = <A>(effect: Effect.Effect<A, never, Router>, settings: Partial<Settings> = {}, z: MemoryDns.Zones = zones) =>
  effect.pipe(Effect.provide(Router.layer.pipe(Layer.provide(Layer.mergeAll(Dns.Dns.layerTest(z), DeliveryConfig.layer({ port: 2525, ...settings }))))))

const route = (domain: string, settings: Partial<Settings> = {}, z: MemoryDns.Zones = zones) =>
  run(Router.use((r) => r.route(domain)), settings, z)

const hostsOf = (r: Route.Route) => {
  assert.strictEqual(r._tag, "Hosts", r._tag === "Bounce" || r._tag === "Defer" ? SmtpReply.toString(r.reply) : "")
  return r._tag === "Hosts" ? r.hosts : []
}
const replyOf = (r: Route.Route, tag: "Bounce" | "Defer") => {
  assert.strictEqual(r._tag, tag)
  return r._tag === "Bounce" || r._tag === "Defer" ? SmtpReply.toString(r.reply) : ""
}

describe("Router", () => {
  it.effect("MX hosts by preference, IPv6 then IPv4 addresses, configured port", () =>
    Effect.gen(function*() {
      const hosts = hostsOf(yield* route("example.test"))
      assert.deepStrictEqual(hosts.map((h) => [h.name, h.preference, h.addresses, h.port, h.source]), [
        ["mx1.example.test", 10, ["::1", "127.0.0.1"], 2525, "mx"],
        ["mx2.example.test", 20, ["127.0.0.2"], 2525, "mx"]
      ])
      const v4first = hostsOf(yield* route("EXAMPLE.test.", { addressPreference: "ipv4" }))
      assert.deepStrictEqual(v4first[0]?.addresses, ["127.0.0.1", "::1"])
    }))

  it.effect("equal preferences are shuffled; lower preference groups stay first", () =>
    Effect.gen(function*() {
      const firsts = new Map<string, number>()
      for (let i = 0; i < 60; i++) {
        const hosts = hostsOf(yield* route("spread.test"))
        assert.strictEqual(hosts[2]?.name, "c.spread.test")
        const first = hosts[0]?.name ?? "?"
        firsts.set(first, (firsts.get(first) ?? 0) + 1)
      }
      assert.deepStrictEqual([...firsts.keys()].sort(), ["a.spread.test", "b.spread.test"])
      for (const n of firsts.values()) assert.isAbove(n, 10)
    }))

  it.effect("implicit MX: the domain's own address when there is no MX", () =>
    Effect.gen(function*() {
      const hosts = hostsOf(yield* route("implicit.test"))
      assert.deepStrictEqual(hosts.map((h) => [h.name, h.addresses, h.source]), [["implicit.test", ["127.0.0.5"], "implicit"]])
      assert.strictEqual(replyOf(yield* route("noaddr.test"), "Bounce"), "550 5.4.4 noaddr.test has no MX and no address record")
    }))

  it.effect("an internationalised domain is looked up in its A-label form", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(hostsOf(yield* route("bücher.test")).map((h) => h.name), ["mx1.example.test"])
    }))

  it.effect("null MX bounces 5.1.10; NXDOMAIN bounces 5.1.2", () =>
    Effect.gen(function*() {
      assert.strictEqual(replyOf(yield* route("nullmx.test"), "Bounce"), "550 5.1.10 nullmx.test does not accept mail (null MX)")
      assert.strictEqual(replyOf(yield* route("nowhere.test"), "Bounce"), "550 5.1.2 nowhere.test does not exist (NXDOMAIN)")
    }))

  it.effect("SERVFAIL defers 4.4.3, and routing recovers once DNS answers", () =>
    Effect.gen(function*() {
      assert.match(replyOf(yield* route("servfail.test"), "Defer"), /^451 4\.4\.3 DNS lookup of MX for servfail\.test failed: ServFail/)
      const r = yield* run(Effect.gen(function*() {
        const router = yield* Router
        return [yield* router.route("flaky.test"), yield* router.route("flaky.test")] as const
      }))
      assert.strictEqual(r[0]._tag, "Defer")
      assert.deepStrictEqual(hostsOf(r[1]).map((h) => h.name), ["mx1.example.test"])
    }))

  it.effect("MX hosts without address are skipped; none with an address defers (4.4.4 or 4.4.3)", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(hostsOf(yield* route("partial.test")).map((h) => h.name), ["mx1.example.test"])
      assert.strictEqual(replyOf(yield* route("allghost.test"), "Defer"), "451 4.4.4 no MX host of allghost.test has an address")
      assert.match(replyOf(yield* route("tempghost.test"), "Defer"), /^451 4\.4\.3 /)
    }))

  it.effect("an MX that is us: best MX → loop bounce 5.4.6; backup MX → only better hosts are kept", () =>
    Effect.gen(function*() {
      const self = { hostname: "mx.self.test" }
      assert.strictEqual(replyOf(yield* route("loop.test", self), "Bounce"), "554 5.4.6 mail for loop.test loops back to myself (MX mx.self.test)")
      assert.deepStrictEqual(hostsOf(yield* route("backupmx.test", self)).map((h) => h.name), ["primary.backupmx.test"])
      // by address: the MX name is an alias of one of our listener addresses
      assert.strictEqual(replyOf(yield* route("selfaddr.test", { selfAddresses: ["127.0.0.53"] }), "Bounce").slice(0, 9), "554 5.4.6")
      assert.strictEqual(hostsOf(yield* route("selfaddr.test")).length, 1)
    }))

  it.effect("our listeners' endpoints are us: an MX, the implicit MX or a literal at one of them at the outbound port loops (5.4.6)", () =>
    Effect.gen(function*() {
      const listening = { selfEndpoints: [{ address: "127.0.0.53", port: 2525 }] }
      assert.strictEqual(replyOf(yield* route("selfaddr.test", listening), "Bounce"), "554 5.4.6 mail for selfaddr.test loops back to myself (MX alias.selfaddr.test)")
      assert.strictEqual(replyOf(yield* route("[127.0.0.53]", listening), "Bounce"), "554 5.4.6 mail for [127.0.0.53] loops back to myself")
      // another port on the same address is another server (a content filter, a second instance)
      assert.strictEqual(hostsOf(yield* route("selfaddr.test", { selfEndpoints: [{ address: "127.0.0.53", port: 2526 }] })).length, 1)
      // a wildcard listener is every local address, loopback included
      const wildcard = { selfEndpoints: [{ address: "0.0.0.0", port: 2525 }] }
      assert.strictEqual(replyOf(yield* route("implicit.test", wildcard), "Bounce"), "554 5.4.6 mail for implicit.test loops back to myself (implicit MX)")
      assert.strictEqual(replyOf(yield* route("implicit.test", { selfEndpoints: [{ address: "::", port: 2525 }] }), "Bounce").slice(0, 9), "554 5.4.6")
      // an IPv4 wildcard does not take IPv6; `::` takes both (dual stack); mapped IPv4 is IPv4
      const at = (selfEndpoints: ReadonlyArray<{ address: string; port: number }>, address: string, port = 2525) =>
        isSelfEndpoint({ ...defaults, selfEndpoints }, address, port)
      assert.isFalse(at([{ address: "0.0.0.0", port: 2525 }], "::1"))
      assert.isTrue(at([{ address: "::", port: 2525 }], "127.0.0.1"))
      assert.isTrue(at([{ address: "127.0.0.1", port: 2525 }], "::ffff:127.0.0.1"))
      assert.isFalse(at([{ address: "0.0.0.0", port: 2525 }], "192.0.2.1"), "not an address of this machine")
      assert.isFalse(at([], "127.0.0.1"))
    }))

  it.effect("a static route or the smarthost at one of our listeners bounces 5.3.5; elsewhere on the machine it is used", () =>
    Effect.gen(function*() {
      const smarthost = StaticRoutes.make({ smarthost: { host: "relay.test", port: 587 } })
      const selfEndpoints = [{ address: "127.0.0.44", port: 587 }]
      assert.strictEqual(
        replyOf(yield* route("anything.test", { staticRoutes: smarthost, selfEndpoints }), "Bounce"),
        "554 5.3.5 mail for anything.test loops back to myself (relay relay.test:587 is one of my listeners)"
      )
      const domain = StaticRoutes.make({ domains: { "example.test": { host: "127.0.0.33" } } })
      assert.strictEqual(replyOf(yield* route("example.test", { staticRoutes: domain, selfEndpoints: [{ address: "0.0.0.0", port: 2525 }] }), "Bounce").slice(0, 9), "554 5.3.5")
      // a content filter on another local port is not a loop
      assert.strictEqual(hostsOf(yield* route("anything.test", { staticRoutes: smarthost, selfEndpoints: [{ address: "127.0.0.44", port: 25 }] })).length, 1)
      // nor a relay a route hook picks (re-injection is deliberate; the hop count bounds it)
      const picked = yield* run(Router.use((r) => r.relays("x.test", [{ host: "127.0.0.44", port: 587 }], "plugin")), { selfEndpoints })
      assert.strictEqual(hostsOf(picked).length, 1)
    }))

  it.effect("static routes and smarthost bypass MX; address literals go straight to the address", () =>
    Effect.gen(function*() {
      const staticRoutes = StaticRoutes.make({
        smarthost: { host: "relay.test", port: 587 },
        domains: { "example.test": { host: "127.0.0.33", port: 2626 }, ".sub.test": { host: "::1" } }
      })
      const s = { staticRoutes }
      assert.deepStrictEqual(hostsOf(yield* route("example.test", s)).map((h) => [h.name, h.addresses, h.port, h.source]), [["127.0.0.33", ["127.0.0.33"], 2626, "static"]])
      assert.deepStrictEqual(hostsOf(yield* route("a.b.sub.test", s)).map((h) => [h.addresses, h.port]), [[["::1"], 2525]])
      assert.deepStrictEqual(hostsOf(yield* route("anything.test", s)).map((h) => [h.name, h.addresses, h.port]), [["relay.test", ["127.0.0.44"], 587]])
      assert.strictEqual(replyOf(yield* route("x.test", { staticRoutes: StaticRoutes.make({ smarthost: { host: "missing.test" } }) }), "Defer"), "451 4.4.4 relay missing.test has no address")
      assert.deepStrictEqual(hostsOf(yield* route("[127.0.0.9]")).map((h) => [h.addresses, h.source]), [[["127.0.0.9"], "literal"]])
      assert.deepStrictEqual(hostsOf(yield* route("[IPv6:::1]")).map((h) => h.addresses), [["::1"]])
    }))
})

describe("StaticRoutes", () => {
  it("parses relays and route tables", () => {
    assert.deepStrictEqual(StaticRoutes.parseRelay("smtp.example.net:587"), { host: "smtp.example.net", port: 587 })
    assert.deepStrictEqual(StaticRoutes.parseRelay("[2001:db8::1]:25"), { host: "2001:db8::1", port: 25 })
    assert.deepStrictEqual(StaticRoutes.parseRelay("2001:db8::1"), { host: "2001:db8::1" })
    assert.deepStrictEqual(StaticRoutes.parseRelay("[10.0.0.5]"), { host: "10.0.0.5" })
    for (const bad of ["", "host:0", "host:70000", "bad host", "[nothost]:25", "a..b"]) {
      assert.isUndefined(StaticRoutes.parseRelay(bad), bad)
    }
    const table = StaticRoutes.parseDomains("example.org=relay.example.net:2525, .example.com=[10.0.0.5]:25")
    assert.deepStrictEqual(table === undefined ? [] : [...table], [
      ["example.org", { host: "relay.example.net", port: 2525 }],
      [".example.com", { host: "10.0.0.5", port: 25 }]
    ])
    assert.isUndefined(StaticRoutes.parseDomains("example.org"))
  })

  it.effect("credentials travel from static routes and the smarthost to their hosts, never to MX hosts", () =>
    Effect.gen(function*() {
      const auth = Auth.make("relay", "s3cret")
      const staticRoutes = StaticRoutes.make({ smarthost: { host: "relay.test", port: 587, auth }, domains: { "example.test": { host: "127.0.0.33" } } })
      assert.strictEqual(hostsOf(yield* route("anything.test", { staticRoutes }))[0]?.auth, auth)
      assert.isUndefined(hostsOf(yield* route("example.test", { staticRoutes }))[0]?.auth, "a domain route without credentials has none")
      assert.isTrue(hostsOf(yield* route("example.test")).every((h) => h.auth === undefined))
    }))
})
