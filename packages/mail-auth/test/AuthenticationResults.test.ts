import { assert, describe, it } from "@effect/vitest"
import * as AuthenticationResults from "../src/AuthenticationResults.ts"
import * as Client from "../src/Client.ts"

describe("AuthenticationResults", () => {
  it("renders one field with our authserv-id, unfolding mailauth's texts; none when nothing ran", () => {
    const h = AuthenticationResults.make("mx.example.test", ["spf=pass smtp.mailfrom=a@b.test", "dkim=pass (2048-bit key)\r\n header.d=b.test"])
    assert.deepStrictEqual(h, {
      name: "Authentication-Results",
      value: "mx.example.test; spf=pass smtp.mailfrom=a@b.test; dkim=pass (2048-bit key) header.d=b.test"
    })
    assert.strictEqual(AuthenticationResults.make("mx.example.test", []).value, "mx.example.test; none")
  })

  it("reads the authserv-id of a field: version numbers and comments ignored, case-insensitive", () => {
    assert.isTrue(AuthenticationResults.isOurs("MX.Example.Test; dkim=pass", "mx.example.test"))
    assert.isTrue(AuthenticationResults.isOurs("mx.example.test 1; spf=pass", "mx.example.test"))
    assert.isTrue(AuthenticationResults.isOurs("(forged) mx.example.test; spf=pass", "mx.example.test"))
    assert.isFalse(AuthenticationResults.isOurs("mx.other.test; spf=pass", "mx.example.test"))
    assert.isFalse(AuthenticationResults.isOurs("mx.example.test.evil; spf=pass", "mx.example.test"))
    assert.isFalse(AuthenticationResults.isOurs("", "mx.example.test"))
    assert.isUndefined(AuthenticationResults.authservIdOf(" ; x"))
  })

  it("unmaps IPv4-mapped IPv6 client addresses", () => {
    assert.strictEqual(Client.unmapped("::ffff:192.0.2.1"), "192.0.2.1")
    assert.strictEqual(Client.unmapped("::FFFF:10.0.0.1"), "10.0.0.1")
    assert.strictEqual(Client.unmapped("2001:db8::1"), "2001:db8::1")
    assert.strictEqual(Client.unmapped("192.0.2.1"), "192.0.2.1")
  })
})
