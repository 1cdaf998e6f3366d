import { assert, describe, it } from "@effect/vitest"
import * as Nameserver from "../src/Nameserver.ts"

describe("Nameserver", () => {
  it("parses host:port, bare hosts, bracketed and bare IPv6, and lists", () => {
    assert.deepStrictEqual(Nameserver.parse("127.0.0.1:5353"), { host: "127.0.0.1", port: 5353 })
    assert.deepStrictEqual(Nameserver.parse(" 10.0.0.2 "), { host: "10.0.0.2", port: 53 })
    assert.deepStrictEqual(Nameserver.parse("[::1]:5300"), { host: "::1", port: 5300 })
    assert.deepStrictEqual(Nameserver.parse("::1"), { host: "::1", port: 53 })
    assert.deepStrictEqual(Nameserver.parseList("127.0.0.1:1, [::1]:2"), [{ host: "127.0.0.1", port: 1 }, { host: "::1", port: 2 }])
    assert.strictEqual(Nameserver.format({ host: "::1", port: 53 }), "[::1]:53")
  })

  it("rejects hostnames, bad ports and empty lists", () => {
    for (const bad of ["dns.example:53", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x"]) {
      assert.instanceOf(Nameserver.parse(bad), Nameserver.NameserverError, bad)
    }
    assert.instanceOf(Nameserver.parseList(" , "), Nameserver.NameserverError)
  })
})
