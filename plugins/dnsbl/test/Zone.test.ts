import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as Policy from "../src/Policy.ts"
import * as Txt from "../src/Txt.ts"
import * as Zone from "../src/Zone.ts"

const zone = (spec: Zone.ZoneSpec, kind: "ip" | "domain" = "ip"): Zone.Zone => {
  const made = Zone.make(spec, kind)
  if (Result.isFailure(made)) throw new Error(made.failure.message)
  return made.success
}
const zoneError = (spec: Zone.ZoneSpec, kind: "ip" | "domain" = "ip"): string => {
  const made = Zone.make(spec, kind)
  return Result.isFailure(made) ? made.failure.message : "valid"
}
const policyError = (options: Policy.Options): string => {
  const made = Policy.make(options)
  return Result.isFailure(made) ? made.failure.message : "valid"
}

describe("Zone", () => {
  it("reads Postfix's zone=filter*weight, with an optional :action", () => {
    const zen = zone("Zen.Spamhaus.org.=127.0.0.[2..11]")
    assert.strictEqual(zen.zone, "zen.spamhaus.org")
    assert.strictEqual(zen.filter?.text, "127.0.0.[2..11]")
    assert.strictEqual(zen.action, "reject")
    const weighted = zone("b.barracudacentral.org=127.0.0.2*2")
    assert.deepStrictEqual([weighted.action, weighted.weight], ["score", 2])
    const allow = zone("list.dnswl.org=127.0.[2..15].[2;3]*-3")
    assert.deepStrictEqual([allow.action, allow.weight, allow.filter?.text], ["score", -3, "127.0.[2..15].[2;3]"])
    const tag = zone("bl.example:tag")
    assert.deepStrictEqual([tag.action, tag.filter, tag.label], ["tag", undefined, "bl.example:tag"])
    assert.strictEqual(zone("bl.example=127.0.0.2:defer").label, "bl.example=127.0.0.2:defer")
    assert.strictEqual(zone({ zone: "bl.example", weight: 3 }).action, "score")
  })

  it("refuses bad entries with the reason", () => {
    assert.include(zoneError("not a zone"), "is not a DNS zone")
    assert.include(zoneError("localhost"), "is not a DNS zone")
    assert.include(zoneError("bl.example=127.0.0.[5..2]"), "empty")
    assert.include(zoneError("bl.example*x"), "not an integer")
    assert.include(zoneError("bl.example:drop"), "is not one of reject, defer, tag, score")
    assert.include(zoneError({ zone: "bl.example", action: "tag", weight: 2 }), "a weight needs the action \"score\"")
    assert.include(zoneError({ zone: "bl.example", checks: ["helo"] }), "checks are for domain lists")
    assert.include(zoneError({ zone: "dbl.example", checks: [] }, "domain"), "at least one check")
  })
})

describe("Policy", () => {
  it("needs a zone, and names the option that is wrong", () => {
    assert.include(policyError({}), "no zone configured")
    assert.include(policyError({ zones: ["bl.example"], allow: ["10.1.2.3/8"] }), "invalid allow")
    assert.include(policyError({ zones: ["bl.example"], threshold: 0 }), "invalid threshold")
    assert.include(policyError({ zones: ["bl.example"], timeout: "0 seconds" }), "invalid timeout")
    assert.include(policyError({ zones: ["bl.example"], timeout: "1 minute" }), "at most 25 seconds")
    assert.include(policyError({ zones: ["bl.example"], tagHeader: "X DNSBL" }), "invalid tagHeader")
    assert.include(policyError({ zones: ["bl.example"], maxBodyDomains: 0 }), "invalid maxBodyDomains")
    assert.strictEqual(policyError({ domainZones: ["dbl.example"] }), "valid")
  })
})

describe("Txt", () => {
  it("keeps printable ASCII only, single-spaced and bounded", () => {
    assert.strictEqual(Txt.sanitize(["Listed\r\n550 injected\u0000 see https://bl.test/q?1.2.3.4"]), "Listed 550 injected see https://bl.test/q?1.2.3.4")
    assert.strictEqual(Txt.sanitize(["caf\u00e9 \u202e evil"]), "caf evil")
    assert.isUndefined(Txt.sanitize(["\u0001\u0002"]))
    assert.isUndefined(Txt.sanitize([]))
    const long = Txt.sanitize(["x".repeat(5000)])
    assert.strictEqual(long?.length, Txt.maxLength)
    assert.isTrue(long?.endsWith("..."))
  })
})
