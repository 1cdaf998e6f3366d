import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Dns from "../src/Dns.ts"
import * as Mx from "../src/Mx.ts"

const layer = Dns.Dns.layerTest({
  "example.test": { MX: [{ priority: 20, exchange: "b.example.test" }, { priority: 10, exchange: "A.example.test." }], TXT: [["v=spf1 ", "-all"]] },
  "a.example.test": { A: ["192.0.2.1"], AAAA: ["2001:db8::1"] },
  "www.example.test": { CNAME: "a.example.test" },
  "nomail.test": { MX: [{ priority: 0, exchange: "." }] },
  "1.2.0.192.in-addr.arpa": { PTR: ["a.example.test."] },
  "flaky.test": { fail: "SERVFAIL", failTimes: 1, A: ["192.0.2.9"] },
  "down.test": { fail: "TIMEOUT" }
})

describe("Dns.layerTest", () => {
  it.effect("answers from zones without sockets, under TestClock", () =>
    Effect.gen(function*() {
      const dns = yield* Dns.Dns
      assert.deepStrictEqual((yield* dns.mx("example.test")).map((m) => m.exchange), ["a.example.test", "b.example.test"])
      assert.deepStrictEqual(yield* dns.txt("example.test"), ["v=spf1 -all"])
      assert.deepStrictEqual(yield* dns.a("www.example.test"), ["192.0.2.1"])
      assert.deepStrictEqual(yield* dns.aaaa("a.example.test"), ["2001:db8::1"])
      assert.deepStrictEqual(yield* dns.ptr("192.0.2.1"), ["a.example.test"])
      assert.isTrue(Mx.isNullMx(yield* dns.mx("nomail.test")))
    }).pipe(Effect.provide(layer)))

  it.effect("fails with the same reasons as the real resolver", () =>
    Effect.gen(function*() {
      const dns = yield* Dns.Dns
      assert.strictEqual((yield* Effect.flip(dns.a("nowhere.test"))).reason, "NxDomain")
      assert.strictEqual((yield* Effect.flip(dns.mx("a.example.test"))).reason, "NoData")
      assert.strictEqual((yield* Effect.flip(dns.a("down.test"))).reason, "Timeout")
      assert.strictEqual((yield* Effect.flip(dns.a("flaky.test"))).reason, "ServFail")
      assert.deepStrictEqual(yield* dns.a("flaky.test"), ["192.0.2.9"])
      assert.strictEqual((yield* Effect.flip(dns.ptr("nope"))).reason, "InvalidQuery")
    }).pipe(Effect.provide(layer)))
})
