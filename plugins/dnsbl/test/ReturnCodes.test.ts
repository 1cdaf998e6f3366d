import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as ReturnCodes from "../src/ReturnCodes.ts"

const filter = (text: string): ReturnCodes.Filter => {
  const parsed = ReturnCodes.parse(text)
  if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
  return parsed.success
}

const error = (text: string): string => {
  const parsed = ReturnCodes.parse(text)
  return Result.isFailure(parsed) ? parsed.failure.message : "parsed"
}

describe("ReturnCodes", () => {
  it("exact addresses, ranges per octet and lists, as in postscreen_dnsbl_sites", () => {
    assert.isTrue(ReturnCodes.matches(filter("127.0.0.2"), "127.0.0.2"))
    assert.isFalse(ReturnCodes.matches(filter("127.0.0.2"), "127.0.0.3"))
    const zen = filter("127.0.0.[2..11]")
    assert.isTrue(ReturnCodes.matches(zen, "127.0.0.2"))
    assert.isTrue(ReturnCodes.matches(zen, "127.0.0.11"))
    assert.isFalse(ReturnCodes.matches(zen, "127.0.0.1"))
    assert.isFalse(ReturnCodes.matches(zen, "127.0.0.12"))
    assert.isFalse(ReturnCodes.matches(zen, "127.0.1.2"))
    const dnswl = filter("127.0.[2..15].[2;3]")
    assert.isTrue(ReturnCodes.matches(dnswl, "127.0.15.3"))
    assert.isFalse(ReturnCodes.matches(dnswl, "127.0.15.1"))
    const mixed = filter("127.0.0.[2;4;10..11]")
    assert.deepStrictEqual(
      ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.10", "127.0.0.11", "127.0.0.12"].map((a) => ReturnCodes.matches(mixed, a)),
      [true, false, true, true, true, false]
    )
    assert.isFalse(ReturnCodes.matches(zen, "not an address"))
  })

  it("refuses malformed filters with the reason", () => {
    assert.include(error("127.0.0"), "four octets")
    assert.include(error("127.0.0.256"), "not a number 0-255")
    assert.include(error("127.0.0.[11..2]"), "empty")
    assert.include(error("127.0.0.[2..]"), "not a number 0-255 or a range")
    assert.include(error("127.0.0.[2"), "closing")
    assert.include(error("127.0.0.02"), "not a number")
  })

  it("classifies answers: codes, Spamhaus error codes, and answers outside 127/8", () => {
    assert.strictEqual(ReturnCodes.classify("127.0.0.2"), "Code")
    assert.strictEqual(ReturnCodes.classify("127.0.1.2"), "Code")
    assert.strictEqual(ReturnCodes.classify("127.255.255.254"), "ListError")
    assert.strictEqual(ReturnCodes.classify("127.255.255.255"), "ListError")
    assert.strictEqual(ReturnCodes.classify("127.255.255.252"), "ListError")
    assert.strictEqual(ReturnCodes.classify("198.51.100.7"), "OutOfRange")
    assert.strictEqual(ReturnCodes.classify("garbage"), "OutOfRange")
  })
})
