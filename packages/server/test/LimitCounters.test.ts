/** The counters behind the limits, without sockets: client keys, rate windows, connection counts, session errors. */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { ClientKey } from "../src/index.ts"
import { ConnectionLimits, rateWindowMillis } from "../src/ConnectionLimits.ts"
import { ErrorCounter } from "../src/ErrorCounter.ts"
import { RateWindow } from "../src/RateWindow.ts"

describe("ClientKey", () => {
  it("an IPv4 address is its own key, also when IPv4-mapped", () => {
    assert.strictEqual(ClientKey.of("192.0.2.7"), "192.0.2.7")
    assert.strictEqual(ClientKey.of("::ffff:192.0.2.7"), "192.0.2.7")
    assert.strictEqual(ClientKey.of("::FFFF:192.0.2.7"), "192.0.2.7")
    assert.strictEqual(ClientKey.of("::ffff:c000:207"), "192.0.2.7")
  })

  it("IPv6 addresses of one /64 share a key; another /64 is another client", () => {
    const a = ClientKey.of("2001:db8:1:2::5")
    assert.strictEqual(a, "2001:db8:1:2::/64")
    assert.strictEqual(ClientKey.of("2001:DB8:1:2:ffff:ffff:ffff:ffff"), a)
    assert.strictEqual(ClientKey.of("2001:0db8:0001:0002:0:0:0:1"), a)
    assert.strictEqual(ClientKey.of("fe80::1%eth0"), "fe80:0:0:0::/64")
    assert.notStrictEqual(ClientKey.of("2001:db8:1:3::5"), a)
    assert.strictEqual(ClientKey.of("::1"), "0:0:0:0::/64")
    assert.strictEqual(ClientKey.of("2001:db8::192.0.2.1"), "2001:db8:0:0::/64")
  })

  it("never throws, and anything that is not an address is its own key", () => {
    assert.strictEqual(ClientKey.of(""), "")
    assert.strictEqual(ClientKey.of("/run/cartero.sock"), "/run/cartero.sock")
    fc.assert(fc.property(fc.string(), (s) => typeof ClientKey.of(s) === "string"), { numRuns: 300 })
    fc.assert(
      fc.property(fc.ipV6(), (ip) => /^[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){3}::\/64$|^\d+\.\d+\.\d+\.\d+$/.test(ClientKey.of(ip))),
      { numRuns: 300 }
    )
  })
})

describe("RateWindow", () => {
  it("counts per key within a window and starts over after it", () => {
    const w = new RateWindow(1000)
    assert.strictEqual(w.hit("a", 0), 1)
    assert.strictEqual(w.hit("a", 500), 2)
    assert.strictEqual(w.hit("b", 500), 1)
    assert.strictEqual(w.count("a", 999), 2)
    assert.strictEqual(w.count("a", 1000), 0)
    assert.strictEqual(w.hit("a", 1000), 1)
    // a clock that went backwards starts a new window rather than counting forever
    assert.strictEqual(w.hit("a", 10), 1)
  })

  it("sweeps expired keys, at most once per window", () => {
    const w = new RateWindow(1000)
    for (let i = 0; i < 100; i++) w.hit(`k${i}`, 0)
    assert.strictEqual(w.size, 100)
    w.hit("late", 1500)
    assert.strictEqual(w.size, 1)
  })

  it("keeps at most maxKeys, dropping the oldest", () => {
    const w = new RateWindow(60_000, 10)
    for (let i = 0; i < 1000; i++) w.hit(`k${i}`, i)
    assert.strictEqual(w.size, 10)
    assert.strictEqual(w.count("k999", 1000), 1)
    assert.strictEqual(w.count("k0", 1000), 0)
  })
})

describe("ConnectionLimits", () => {
  it("refuses beyond the total, beyond the per-client count, and beyond the rate; releases free slots", () => {
    const limits = new ConnectionLimits({ maxClients: 3, maxClientsPerIp: 2, maxConnectionRate: 4 })
    assert.isUndefined(limits.admit("a", 0))
    assert.isUndefined(limits.admit("a", 0))
    assert.strictEqual(limits.admit("a", 0), "TooManyFromClient")
    assert.isUndefined(limits.admit("b", 0))
    assert.strictEqual(limits.admit("c", 0), "TooManyClients")
    limits.release("a")
    assert.strictEqual(limits.connections, 2)
    // "a" tried 4 times this minute: the 5th attempt is over the rate, even with a free slot
    assert.isUndefined(limits.admit("a", 1))
    limits.release("a")
    assert.strictEqual(limits.admit("a", 2), "RateExceeded")
    assert.isUndefined(limits.admit("a", rateWindowMillis + 2))
  })

  it("counts stay exact under any sequence of admissions and releases", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.constantFrom("a", "b", "c")), { maxLength: 200 }), (ops) => {
        const limits = new ConnectionLimits({ maxClients: 5, maxClientsPerIp: 3, maxConnectionRate: 1_000_000 })
        const open = new Map<string, number>()
        for (const [connect, key] of ops) {
          if (connect) {
            if (limits.admit(key, 0) === undefined) open.set(key, (open.get(key) ?? 0) + 1)
          } else if ((open.get(key) ?? 0) > 0) {
            limits.release(key)
            open.set(key, (open.get(key) ?? 0) - 1)
          }
          const total = [...open.values()].reduce((a, b) => a + b, 0)
          if (limits.connections !== total || total > 5) return false
          if (["a", "b", "c"].some((k) => limits.connectionsOf(k) !== (open.get(k) ?? 0) || limits.connectionsOf(k) > 3)) {
            return false
          }
        }
        return true
      }),
      { numRuns: 200 }
    )
  })
})

describe("ErrorCounter", () => {
  it("slows from the soft limit, drops at the hard limit, and starts over on delivery", () => {
    const c = new ErrorCounter({ softErrorLimit: 2, hardErrorLimit: 4, junkCommandLimit: 1 })
    assert.strictEqual(c.error(), "Continue")
    assert.isFalse(c.slowed)
    assert.strictEqual(c.error(), "Continue")
    assert.isTrue(c.slowed)
    assert.strictEqual(c.error(), "Continue")
    c.delivered()
    assert.isFalse(c.slowed)
    assert.strictEqual(c.junkCommand(), "Continue")
    assert.strictEqual(c.count, 0)
    assert.strictEqual(c.junkCommand(), "Continue")
    assert.strictEqual(c.count, 1)
    assert.strictEqual(c.error(), "Continue")
    assert.strictEqual(c.error(), "Continue")
    assert.strictEqual(c.junkCommand(), "Drop")
  })
})
