/**
 * The PROXY header parser alone: properties (fast-check) that random bytes never throw and are decided within the
 * bounds, that valid v1/v2 headers round-trip whatever follows them, and that a header cut anywhere is
 * `Incomplete` until its last byte; plus the trust list.
 */
import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { ProxyHeader, ProxyTrust } from "../src/index.ts"

const v4 = fc.ipV4()
const v6 = fc.ipV6()
const port = fc.integer({ min: 0, max: 65535 })
const endpoints = fc.oneof(
  fc.tuple(v4, port, v4, port),
  fc.tuple(v6, port, v6, port)
).map(([sa, sp, da, dp]) => ({ source: { address: sa, port: sp }, destination: { address: da, port: dp } }))
const tlvs = fc.uint8Array({ maxLength: 200 })

/** The address as `parse` reports it: IPv6 in its short canonical form, an IPv4-mapped one as its IPv4 address. */
const canonical = (address: string): string => {
  if (!address.includes(":")) return address
  const short = new URL(`http://[${address}]/`).hostname.slice(1, -1)
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(short)
  if (mapped?.[1] === undefined || mapped[2] === undefined) return short
  const [hi, lo] = [parseInt(mapped[1], 16), parseInt(mapped[2], 16)]
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`
}

describe("ProxyHeader.parse", () => {
  it("random bytes: never throws, a verdict within the bounds", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }).map((b) => Uint8Array.from([...ProxyHeader.v2Signature, ...b])), fc.string({ maxLength: 200 }).map((s) => Buffer.from(`PROXY ${s}`))), (bytes) => {
        const parsed = ProxyHeader.parse(bytes)
        if (parsed._tag === "Header") assert.isAtMost(parsed.length, bytes.length)
        if (parsed._tag === "Incomplete" && bytes.length >= 12 && bytes[0] === 0x50) assert.isBelow(bytes.length, ProxyHeader.maxV1Length)
      }),
      { numRuns: 2000 }
    )
  })

  it("valid headers round-trip, with whatever follows left alone", () => {
    fc.assert(
      fc.property(endpoints, tlvs, fc.uint8Array({ maxLength: 50 }), fc.boolean(), ({ destination, source }, extra, rest, v2) => {
        const header = v2 ? ProxyHeader.encodeV2(source, destination, extra) : ProxyHeader.encodeV1(source, destination)
        const parsed = ProxyHeader.parse(Uint8Array.from([...header, ...rest]))
        assert.strictEqual(parsed._tag, "Header")
        if (parsed._tag !== "Header") return
        assert.strictEqual(parsed.length, header.length)
        assert.deepStrictEqual(parsed.header.source, { address: canonical(source.address), port: source.port })
        assert.deepStrictEqual(parsed.header.destination, { address: canonical(destination.address), port: destination.port })
      }),
      { numRuns: 1000 }
    )
  })

  it("a header cut anywhere is Incomplete until its last byte", () => {
    fc.assert(
      fc.property(endpoints, fc.boolean(), fc.nat(), ({ destination, source }, v2, cut) => {
        const header = v2 ? ProxyHeader.encodeV2(source, destination) : ProxyHeader.encodeV1(source, destination)
        const at = cut % header.length
        assert.strictEqual(ProxyHeader.parse(header.subarray(0, at))._tag, "Incomplete")
      }),
      { numRuns: 1000 }
    )
  })

  it("the bounds and the special cases", () => {
    assert.deepStrictEqual(ProxyHeader.parse(Buffer.from("PROXY UNKNOWN ffff::1 ::1 1 2\r\nEHLO")), {
      _tag: "Header",
      header: { version: 1, command: "PROXY", source: undefined, destination: undefined },
      length: "PROXY UNKNOWN ffff::1 ::1 1 2\r\n".length
    })
    assert.strictEqual(ProxyHeader.parse(Buffer.from(`PROXY TCP4 ${"1".repeat(100)}`))._tag, "Invalid")
    assert.strictEqual(ProxyHeader.parse(Buffer.from(`PROXY TCP4 ${"1".repeat(90)}`))._tag, "Incomplete")
    assert.strictEqual(ProxyHeader.parse(Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 01 25\r\n"))._tag, "Invalid")
    assert.strictEqual(ProxyHeader.parse(Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 65536 25\r\n"))._tag, "Invalid")
    assert.strictEqual(ProxyHeader.parse(Buffer.from("PROXY TCP4 1.2.3.4 5.6.7.8 1 25\n"))._tag, "Invalid")
    assert.strictEqual(ProxyHeader.parse(Buffer.from("EHLO x\r\n"))._tag, "Invalid")
    const local = ProxyHeader.parse(ProxyHeader.encodeV2())
    assert.deepStrictEqual(local._tag === "Header" ? local.header.command : undefined, "LOCAL")
    // A v2 header announcing 65535 bytes is refused from its first 16, without waiting for the rest.
    assert.strictEqual(ProxyHeader.parse(Uint8Array.from([...ProxyHeader.v2Signature, 0x21, 0x11, 0xff, 0xff]))._tag, "Invalid")
    // AF_INET with an address block too short for it.
    assert.strictEqual(ProxyHeader.parse(Uint8Array.from([...ProxyHeader.v2Signature, 0x21, 0x11, 0x00, 0x04, 1, 2, 3, 4]))._tag, "Invalid")
    // PROXY over UNIX or UDP: valid, no client address.
    const unix = ProxyHeader.parse(Uint8Array.from([...ProxyHeader.v2Signature, 0x21, 0x31, 0x00, 216, ...new Uint8Array(216)]))
    assert.deepStrictEqual(unix._tag === "Header" ? unix.header.source : "not a header", undefined)
  })
})

describe("ProxyTrust", () => {
  it("matches networks, addresses and IPv4-mapped peers; refuses malformed entries", () => {
    const trust = ProxyTrust.make(["10.0.0.0/8", "::1", "fd00::/8"])
    assert.isTrue(trust.allows("10.200.1.1"))
    assert.isTrue(trust.allows("::ffff:10.0.0.1"))
    assert.isTrue(trust.allows("::1"))
    assert.isTrue(trust.allows("fd12::5"))
    assert.isFalse(trust.allows("11.0.0.1"))
    assert.isFalse(trust.allows("127.0.0.1"))
    assert.isFalse(trust.allows(""))
    assert.deepStrictEqual(
      ProxyTrust.invalidEntries(["10.0.0.0/8", "10.1.2.3/8", "10.0.0.0/33", "host.test", "::1/128", "fd00::1/8", "1.2.3.4/08"]),
      ["10.1.2.3/8", "10.0.0.0/33", "host.test", "fd00::1/8", "1.2.3.4/08"]
    )
  })
})
