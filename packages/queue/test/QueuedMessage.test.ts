import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { Arbitraries } from "@cartero/smtp/testing"
import { Result, Schema } from "effect"
import * as fc from "fast-check"
import * as QueuedMessage from "../src/QueuedMessage.ts"

// The reference: the Schema the stores' replies were always written through.
const viaSchema = Schema.encodeSync(Schema.fromJsonString(Schema.Struct({
  code: Schema.Int,
  enhanced: Schema.optional(Schema.String),
  lines: Schema.Array(Schema.String)
})))

describe("QueuedMessage.encodeReply", () => {
  it("writes the Schema's bytes for every reply, and reads back the same reply", () => {
    const reply = fc.record({
      code: fc.integer({ min: 200, max: 559 }).filter((c) => Math.floor(c / 10) % 10 <= 5),
      enhanced: fc.option(fc.constantFrom("2.0.0", "4.4.1", "5.1.1", "5.7.1"), { nil: undefined }),
      lines: fc.array(fc.string({ unit: "binary", maxLength: 40 }), { minLength: 1, maxLength: 4 })
    }).map(({ code, enhanced, lines }) => SmtpReply.fromParts(code, enhanced, lines))
    fc.assert(fc.property(reply, (r) => {
      const stored = r.enhanced === undefined
        ? { code: r.code, lines: r.lines }
        : { code: r.code, enhanced: r.enhanced, lines: r.lines }
      assert.strictEqual(QueuedMessage.encodeReply(r), viaSchema(stored))
      assert.deepStrictEqual(QueuedMessage.decodeReply(QueuedMessage.encodeReply(r)), Result.succeed(r))
    }), { numRuns: 2000 })
  })

  it("refuses, as the Schema does, what is not a reply", () => {
    const notInt = { code: 250.5, lines: ["ok"] } as unknown as SmtpReply.SmtpReply
    assert.throws(() => QueuedMessage.encodeReply(notInt))
    const badLine = { code: 250, lines: [1] } as unknown as SmtpReply.SmtpReply
    assert.throws(() => QueuedMessage.encodeReply(badLine))
  })
})

describe("QueuedMessage.decodeReply and decodeEnvelope (what stores read back)", () => {
  it("any reply a next hop can send: parse → encodeReply → decodeReply gives it back (property)", () => {
    fc.assert(fc.property(Arbitraries.wireAnything, (wire) => {
      const r = SmtpReply.parse(wire)
      if (r !== undefined) assert.deepStrictEqual(QueuedMessage.decodeReply(QueuedMessage.encodeReply(r)), Result.succeed(r))
    }), { numRuns: 1000 })
  })

  it("never throw: any text is a value or a reason (property)", () => {
    const stored = fc.oneof(fc.string({ unit: "binary", maxLength: 60 }), fc.json(), Arbitraries.envelopeJson)
    fc.assert(fc.property(stored, (text) => {
      const reply = QueuedMessage.decodeReply(text)
      const envelope = QueuedMessage.decodeEnvelope(text)
      if (Result.isFailure(reply)) assert.isAtMost(reply.failure.length, 201)
      if (Result.isFailure(envelope)) assert.isAtMost(envelope.failure.length, 201)
    }), { numRuns: 1000 })
    const outOfRange = QueuedMessage.decodeReply("{\"code\":1000,\"lines\":[\"x\"]}")
    assert.strictEqual(Result.isFailure(outOfRange) ? outOfRange.failure : "", "reply code 1000 is not a three-digit code")
    assert.isTrue(Result.isFailure(QueuedMessage.decodeReply("{\"code\":\"250\",\"lines\":[]}")))
    assert.isTrue(Result.isFailure(QueuedMessage.decodeEnvelope("{\"mailFrom\":null")))
  })
})
