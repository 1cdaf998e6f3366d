import { Address } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as RecipientPolicy from "../src/RecipientPolicy.ts"

const policy = (options: RecipientPolicy.Options): RecipientPolicy.Policy => {
  const made = RecipientPolicy.make(options)
  if (Result.isFailure(made)) throw new Error(made.failure.message)
  return made.success
}
const address = (text: string): Address.Address => {
  const parsed = Address.parseMailbox(text, { smtpUtf8: true })
  if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
  return parsed.success
}
const anonymous = (remoteAddress: string): RecipientPolicy.Client => ({ remoteAddress, user: undefined })

describe("RecipientPolicy.decide", () => {
  const p = policy({
    domains: ["example.com", "Example.ORG"],
    addresses: ["alice@example.com", "Bob@example.com", "@example.org"],
    trustedNetworks: ["10.0.0.0/8", "2001:db8::/32"]
  })

  // The anti-open-relay decision table: recipient kind × client kind.
  it.effect.each([
    // local, existing user: accepted from anyone
    ["alice@example.com", anonymous("203.0.113.5"), "Local"],
    ["alice@example.com", { remoteAddress: "203.0.113.5", user: "carol" }, "Local"],
    ["ALICE@EXAMPLE.COM", anonymous("203.0.113.5"), "Local"],
    ["bob@example.com", anonymous("203.0.113.5"), "Local"],
    ["postmaster@example.com", anonymous("203.0.113.5"), "Local"],
    ["PostMaster@example.com", anonymous("203.0.113.5"), "Local"],
    ["anyone@example.org", anonymous("203.0.113.5"), "Local"],
    // local, unknown user: refused even for trusted or authenticated clients
    ["mallory@example.com", anonymous("203.0.113.5"), "UnknownUser"],
    ["mallory@example.com", anonymous("10.1.2.3"), "UnknownUser"],
    ["mallory@example.com", { remoteAddress: "203.0.113.5", user: "carol" }, "UnknownUser"],
    // remote: relayed only for authenticated or trusted clients
    ["someone@remote.test", anonymous("203.0.113.5"), "RelayDenied"],
    ["someone@remote.test", anonymous("127.0.0.1"), "RelayDenied"],
    ["someone@remote.test", anonymous("::1"), "RelayDenied"],
    ["someone@remote.test", anonymous("10.1.2.3"), "Relay"],
    ["someone@remote.test", anonymous("::ffff:10.1.2.3"), "Relay"],
    ["someone@remote.test", anonymous("2001:db8::25"), "Relay"],
    ["someone@remote.test", anonymous("2001:db9::25"), "RelayDenied"],
    ["someone@remote.test", { remoteAddress: "203.0.113.5", user: "carol" }, "Relay"],
    // a sub-domain of a local domain is another domain
    ["alice@mail.example.com", anonymous("203.0.113.5"), "RelayDenied"],
    ["alice@[192.0.2.1]", anonymous("203.0.113.5"), "RelayDenied"]
  ] as const)("%s from %o → %s", ([rcpt, client, expected]) =>
    Effect.sync(() => assert.strictEqual(RecipientPolicy.decide(p, client, address(rcpt)), expected)))

  it.effect("without an address list every local domain is a catch-all", () =>
    Effect.sync(() => {
      const open = policy({ domains: ["example.com"] })
      assert.strictEqual(RecipientPolicy.decide(open, anonymous("203.0.113.5"), address("x.y+z@example.com")), "Local")
      assert.strictEqual(RecipientPolicy.decide(open, anonymous("127.0.0.1"), address("x@other.test")), "RelayDenied")
    }))

  it.effect("postmaster at the server's host name is local (the domainless <Postmaster>), nobody else there is", () =>
    Effect.sync(() => {
      const host = policy({ domains: ["example.com"], hostname: "MX1.Example.NET" })
      assert.strictEqual(RecipientPolicy.decide(host, anonymous("203.0.113.5"), address("postmaster@mx1.example.net")), "Local")
      assert.strictEqual(RecipientPolicy.decide(host, anonymous("203.0.113.5"), address("PostMaster@MX1.example.net")), "Local")
      assert.strictEqual(RecipientPolicy.decide(host, anonymous("203.0.113.5"), address("root@mx1.example.net")), "RelayDenied")
      const none = policy({ domains: ["example.com"] })
      assert.strictEqual(RecipientPolicy.decide(none, anonymous("203.0.113.5"), address("postmaster@mx1.example.net")), "RelayDenied")
    }))

  it.effect("international domains match in either form", () =>
    Effect.sync(() => {
      const idn = policy({ domains: ["bücher.example"] })
      assert.deepStrictEqual(idn.domains, ["xn--bcher-kva.example"])
      assert.strictEqual(RecipientPolicy.decide(idn, anonymous("203.0.113.5"), address("ana@BÜCHER.example")), "Local")
      assert.strictEqual(RecipientPolicy.decide(idn, anonymous("203.0.113.5"), address("ana@xn--bcher-kva.example")), "Local")
    }))
})

describe("RecipientPolicy.make", () => {
  it.effect.each([
    [{ domains: [] }, "domains", "at least one"],
    [{ domains: ["not a domain"] }, "domains", "not a domain"],
    [{ domains: ["example.com"], addresses: ["alice@other.test"] }, "addresses", "not a local domain"],
    [{ domains: ["example.com"], addresses: ["@other.test"] }, "addresses", "not a local domain"],
    [{ domains: ["example.com"], addresses: ["alice"] }, "addresses", "not an address"],
    [{ domains: ["example.com"], trustedNetworks: ["10.0.0.1/8"] }, "trustedNetworks", "did you mean 10.0.0.0/8"]
  ] as const)("refuses %o", ([options, field, detail]) =>
    Effect.sync(() => {
      const made = RecipientPolicy.make(options)
      assert.isTrue(Result.isFailure(made))
      if (Result.isFailure(made)) {
        assert.strictEqual(made.failure.field, field)
        assert.include(made.failure.message, detail)
      }
    }))

  it.effect("normalises and de-duplicates domains", () =>
    Effect.sync(() => assert.deepStrictEqual(policy({ domains: ["A.test", "a.test ", "b.test"] }).domains, ["a.test", "b.test"])))
})
