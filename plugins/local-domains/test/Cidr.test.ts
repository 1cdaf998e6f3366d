import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as Cidr from "../src/Cidr.ts"

const cidr = (text: string): Cidr.Cidr => {
  const parsed = Cidr.parse(text)
  if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
  return parsed.success
}
const inside = (network: string, address: string): boolean => Cidr.contains(cidr(network), address)

describe("Cidr.parse", () => {
  it.effect("accepts networks and bare hosts in both families, canonicalised", () =>
    Effect.sync(() => {
      assert.strictEqual(Cidr.format(cidr("127.0.0.0/8")), "127.0.0.0/8")
      assert.strictEqual(Cidr.format(cidr("192.0.2.7")), "192.0.2.7/32")
      assert.strictEqual(Cidr.format(cidr("0.0.0.0/0")), "0.0.0.0/0")
      assert.strictEqual(Cidr.format(cidr("::1")), "::1/128")
      assert.strictEqual(Cidr.format(cidr("2001:DB8:0:0::/32")), "2001:db8::/32")
      assert.strictEqual(Cidr.format(cidr("::/0")), "::/0")
      assert.strictEqual(Cidr.format(cidr("::ffff:0:0/96")), "::ffff:0:0/96")
      assert.strictEqual(Cidr.format(cidr(" 10.0.0.0/8 ")), "10.0.0.0/8")
      assert.strictEqual(Cidr.format(cidr("fe80::1:0:0:1/128")), "fe80::1:0:0:1/128")
    }))

  it.effect.each([
    ["", "empty"],
    ["10.0.0.0/33", "at most 32"],
    ["::/129", "at most 128"],
    ["10.1.2.3/8", "did you mean 10.0.0.0/8"],
    ["2001:db8::1/32", "did you mean 2001:db8::/32"],
    ["010.0.0.0/8", "not an IPv4 or IPv6 address"],
    ["256.0.0.0/8", "not an IPv4 or IPv6 address"],
    ["10.0.0/24", "not an IPv4 or IPv6 address"],
    ["10.0.0.0/", "decimal"],
    ["10.0.0.0/08", "decimal"],
    ["10.0.0.0/-1", "decimal"],
    ["1:2:3:4:5:6:7:8:9", "not an IPv4 or IPv6 address"],
    ["1::2::3", "not an IPv4 or IPv6 address"],
    ["12345::/16", "not an IPv4 or IPv6 address"],
    ["fe80::1%eth0/128", "zone ids"],
    ["localhost", "not an IPv4 or IPv6 address"]
  ] as const)("refuses %s", ([input, detail]) =>
    Effect.sync(() => {
      const parsed = Cidr.parse(input)
      assert.isTrue(Result.isFailure(parsed))
      if (Result.isFailure(parsed)) assert.include(parsed.failure.message, detail)
    }))

  it.effect("parseList fails on the first bad entry", () =>
    Effect.sync(() => {
      assert.isTrue(Result.isSuccess(Cidr.parseList(["127.0.0.0/8", "::1/128"])))
      const bad = Cidr.parseList(["127.0.0.0/8", "nope"])
      assert.isTrue(Result.isFailure(bad) && bad.failure.input === "nope")
    }))
})

describe("Cidr.contains", () => {
  it.effect("IPv4 boundaries", () =>
    Effect.sync(() => {
      assert.isTrue(inside("127.0.0.0/8", "127.0.0.1"))
      assert.isTrue(inside("127.0.0.0/8", "127.255.255.255"))
      assert.isFalse(inside("127.0.0.0/8", "128.0.0.0"))
      assert.isFalse(inside("127.0.0.0/8", "126.255.255.255"))
      assert.isTrue(inside("192.0.2.7", "192.0.2.7"))
      assert.isFalse(inside("192.0.2.7", "192.0.2.8"))
      assert.isTrue(inside("0.0.0.0/0", "203.0.113.9"))
      assert.isTrue(inside("10.0.0.0/31", "10.0.0.1"))
      assert.isFalse(inside("10.0.0.0/31", "10.0.0.2"))
    }))

  it.effect("IPv6 boundaries and notations", () =>
    Effect.sync(() => {
      assert.isTrue(inside("::1/128", "::1"))
      assert.isTrue(inside("::1/128", "0:0:0:0:0:0:0:1"))
      assert.isFalse(inside("::1/128", "::2"))
      assert.isTrue(inside("2001:db8::/32", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"))
      assert.isFalse(inside("2001:db8::/32", "2001:db9::"))
      assert.isTrue(inside("::/0", "2001:db8::1"))
      assert.isTrue(inside("fe80::/10", "fe80::1%eth0"))
      assert.isTrue(inside("fe80::/10", "febf::1"))
      assert.isFalse(inside("fe80::/10", "fec0::1"))
    }))

  it.effect("IPv4-mapped IPv6 is the same host as its IPv4 form", () =>
    Effect.sync(() => {
      assert.isTrue(inside("127.0.0.0/8", "::ffff:127.0.0.1"))
      assert.isTrue(inside("127.0.0.0/8", "::FFFF:7f00:1"))
      assert.isFalse(inside("127.0.0.0/8", "::ffff:10.0.0.1"))
      assert.isTrue(inside("::ffff:0:0/96", "198.51.100.1"))
      assert.isTrue(inside("::ffff:127.0.0.0/104", "127.1.2.3"))
      // Not mapped: the IPv4-compatible (deprecated) and NAT64 forms are different hosts.
      assert.isFalse(inside("127.0.0.0/8", "::127.0.0.1"))
      assert.isFalse(inside("127.0.0.0/8", "64:ff9b::127.0.0.1"))
      // 0.0.0.0/0 matches every IPv4 host, also when mapped, but no native IPv6 host.
      assert.isTrue(inside("0.0.0.0/0", "::ffff:8.8.8.8"))
      assert.isFalse(inside("0.0.0.0/0", "2001:db8::1"))
      assert.isFalse(inside("::1/128", "127.0.0.1"))
    }))

  it.effect("garbage addresses are inside nothing", () =>
    Effect.sync(() => {
      assert.isFalse(inside("0.0.0.0/0", ""))
      assert.isFalse(inside("0.0.0.0/0", "not-an-ip"))
      assert.isFalse(inside("::/0", "1:2:3"))
      assert.isFalse(Cidr.containsAny([], "127.0.0.1"))
      assert.isTrue(Cidr.containsAny([cidr("10.0.0.0/8"), cidr("::1")], "::1"))
    }))
})
