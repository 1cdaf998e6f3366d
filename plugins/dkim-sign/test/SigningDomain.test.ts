import { assert, describe, it } from "@effect/vitest"
import * as SignedHeaders from "../src/SignedHeaders.ts"
import * as SigningDomain from "../src/SigningDomain.ts"
import { Result } from "effect"

const from = (value: string) => SigningDomain.fromDomain(Buffer.from(`Subject: x\r\nFrom: ${value}\r\n\r\nbody\r\n`))

describe("SigningDomain", () => {
  it("reads the first From mailbox's domain, lower case, IDNs as A-labels", () => {
    assert.strictEqual(from("Alice <alice@Example.TEST>"), "example.test")
    assert.strictEqual(from("\"Smith, Alice\" <alice@a.example.test>, bob@b.example.test"), "a.example.test")
    assert.strictEqual(from("=?utf-8?q?J=C3=BCrgen?= <j@bücher.example>"), "xn--bcher-kva.example")
    // An encoded name that decodes to text with a comma and angle brackets is still one name.
    assert.strictEqual(from("=?utf-8?q?Smith=2C_John_=3Cceo=40evil=2Etest=3E?= <john@example.test>"), "example.test")
    assert.strictEqual(from("Team: carol@team.example.test;"), "team.example.test")
    assert.strictEqual(from("alice@example.test (Alice)"), "example.test")
    assert.strictEqual(from("undisclosed"), undefined)
    assert.strictEqual(from("<alice@>"), undefined)
    assert.strictEqual(SigningDomain.fromDomain(Buffer.from("Subject: no from\r\n\r\nbody\r\n")), undefined)
  })

  it("tries the domain, then its parents, never the top-level label; then the default", () => {
    assert.deepStrictEqual(SigningDomain.candidates("a.b.example.test"), ["a.b.example.test", "b.example.test", "example.test"])
    const keys = new Set(["example.test", "b.example.test", "service.test"])
    const has = (d: string) => keys.has(d)
    assert.deepStrictEqual(SigningDomain.choose("a.b.example.test", has, undefined), { _tag: "From", domain: "b.example.test" })
    assert.deepStrictEqual(SigningDomain.choose("c.example.test", has, "service.test"), { _tag: "From", domain: "example.test" })
    assert.deepStrictEqual(SigningDomain.choose("other.test", has, "service.test"), { _tag: "Default", domain: "service.test", reason: "no DKIM key for other.test" })
    assert.deepStrictEqual(SigningDomain.choose("other.test", has, undefined), { _tag: "None", reason: "no DKIM key for other.test" })
    assert.deepStrictEqual(SigningDomain.choose(undefined, has, "service.test"), { _tag: "None", reason: "no From address" })
    assert.deepStrictEqual(SigningDomain.choose("test", (d) => d === "test", undefined), { _tag: "None", reason: "no DKIM key for test" })
  })
})

describe("SignedHeaders", () => {
  it("merges oversigned fields into the signed list, case-insensitively, without duplicates", () => {
    const lists = SignedHeaders.make(["From", "subject", "Subject"], ["Subject", "X-Mailer"])
    assert.deepStrictEqual(Result.getOrUndefined(lists), { signed: ["From", "subject", "X-Mailer"], oversigned: ["Subject", "X-Mailer"] })
    const defaults = Result.getOrUndefined(SignedHeaders.make())
    assert.includeMembers([...(defaults?.signed ?? [])], ["From", "List-Unsubscribe", "List-Unsubscribe-Post"])
    assert.deepStrictEqual(defaults?.oversigned, ["From", "Reply-To", "Subject", "To", "Cc"])
  })
})
