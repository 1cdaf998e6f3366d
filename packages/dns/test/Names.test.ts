import { assert, describe, it } from "@effect/vitest"
import * as Mx from "../src/Mx.ts"
import * as Names from "../src/Names.ts"

describe("Names", () => {
  it("normalises names", () => {
    assert.strictEqual(Names.normalize("Example.TEST."), "example.test")
    assert.strictEqual(Names.normalize(""), ".")
    assert.strictEqual(Names.normalize("."), ".")
  })

  it("builds reverse names for IPv4, IPv6 and v4-mapped IPv6", () => {
    assert.strictEqual(Names.reverseName("192.0.2.10"), "10.2.0.192.in-addr.arpa")
    assert.strictEqual(
      Names.reverseName("2001:db8::567:89ab"),
      "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
    )
    assert.strictEqual(
      Names.reverseName("::ffff:192.0.2.1"),
      "1.0.2.0.0.0.0.c.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa"
    )
    assert.isUndefined(Names.reverseName("example.test"))
  })
})

describe("Mx", () => {
  it("sorts by preference then name, and recognises a null MX", () => {
    const sorted = Mx.sort([
      { exchange: "b.test", preference: 10, ttl: 1 },
      { exchange: "c.test", preference: 5, ttl: 1 },
      { exchange: "a.test", preference: 10, ttl: 1 }
    ])
    assert.deepStrictEqual(sorted.map((m) => m.exchange), ["c.test", "a.test", "b.test"])
    assert.isTrue(Mx.isNullMx([{ exchange: ".", preference: 0, ttl: 1 }]))
    assert.isFalse(Mx.isNullMx(sorted))
  })

  it("reads the address back from a reverse name, and nothing from anything else", () => {
    for (const ip of ["192.0.2.10", "2001:db8::567:89ab", "::1"]) {
      const name = Names.reverseName(ip)
      assert.isDefined(name)
      const back = Names.fromReverseName(name ?? "")
      assert.isDefined(back)
      assert.strictEqual(Names.reverseName(back ?? ""), name)
    }
    assert.strictEqual(Names.fromReverseName("10.2.0.192.IN-ADDR.ARPA."), "192.0.2.10")
    assert.isUndefined(Names.fromReverseName("2.0.192.in-addr.arpa"))
    assert.isUndefined(Names.fromReverseName("300.2.0.192.in-addr.arpa"))
    assert.isUndefined(Names.fromReverseName("x.ip6.arpa"))
    assert.isUndefined(Names.fromReverseName("example.test"))
  })
})
