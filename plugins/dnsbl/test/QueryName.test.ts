import { assert, describe, it } from "@effect/vitest"
import * as QueryName from "../src/QueryName.ts"

const name = (address: string, zone = "bl.test"): string | undefined => {
  const client = QueryName.client(address)
  return client === undefined ? undefined : QueryName.forClient(client, zone)
}

describe("QueryName", () => {
  it("reverses IPv4 octets", () => {
    assert.strictEqual(name("1.2.3.4"), "4.3.2.1.bl.test")
    assert.strictEqual(name("192.0.2.10"), "10.2.0.192.bl.test")
  })

  it("reverses the 32 nibbles of an IPv6 address (RFC 5782 §2.4)", () => {
    assert.strictEqual(name("2001:db8::1"), "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test")
    assert.strictEqual(name("2001:DB8:0:0:1::abcd"), "d.c.b.a.0.0.0.0.0.0.0.0.1.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test")
  })

  it("treats an IPv4-mapped IPv6 client as the IPv4 client", () => {
    assert.strictEqual(name("::ffff:192.0.2.10"), "10.2.0.192.bl.test")
    assert.strictEqual(name("::ffff:c000:20a"), "10.2.0.192.bl.test")
    assert.strictEqual(QueryName.client("::ffff:192.0.2.10")?.text, "192.0.2.10")
    assert.strictEqual(QueryName.client("::ffff:192.0.2.10")?.family, 4)
  })

  it("refuses what is not an address", () => {
    assert.isUndefined(name("not-an-ip"))
    assert.isUndefined(name("1.2.3"))
    assert.isUndefined(name(""))
  })

  it("accepts domain names worth a domain-list lookup, and nothing else", () => {
    assert.strictEqual(QueryName.domain("Spam.Example.", "dbl.test"), "spam.example")
    assert.isUndefined(QueryName.domain("[192.0.2.1]", "dbl.test"))
    assert.isUndefined(QueryName.domain("192.0.2.1", "dbl.test"))
    assert.isUndefined(QueryName.domain("localhost", "dbl.test"))
    assert.isUndefined(QueryName.domain("bad_name.example", "dbl.test"))
    assert.isUndefined(QueryName.domain("-bad.example", "dbl.test"))
    assert.isUndefined(QueryName.domain(`${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.${"d".repeat(60)}.example`, "dbl.test"))
    assert.deepStrictEqual(QueryName.withParent("mail.spam.example"), ["mail.spam.example", "spam.example"])
    assert.deepStrictEqual(QueryName.withParent("spam.example"), ["spam.example"])
  })
})
