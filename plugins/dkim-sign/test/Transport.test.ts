/**
 * The signature survives our own transport: queued, signed by the delivery worker's `beforeSend`, sent over SMTP
 * (dot-stuffed, 8BITMIME) to a sink, and verified there from the received bytes with mailauth against FakeDns.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { ed25519, outcomes, rsa, signatureTags, verify } from "./support/fixtures.ts"
import { deliverSigned, trickyMessage } from "./support/transport.ts"

describe("DkimSign over our own transport", () => {
  it.live("RSA and Ed25519 signatures made by the delivery worker pass at the receiving end", () =>
    Effect.gen(function*() {
      const { received, wire, zones } = yield* deliverSigned([rsa(), ed25519()], trickyMessage)
      // The body really went through dot-stuffing on the wire.
      assert.include(wire.toString("latin1"), "\r\n..\r\n...two dots\r\n")
      assert.deepStrictEqual(signatureTags(received).map((t) => [t["a"], t["d"]]), [["rsa-sha256", "example.test"], ["ed25519-sha256", "example.test"]])
      const results = yield* verify(received, zones)
      assert.deepStrictEqual(results.map((r) => [r.selector, r.status.result]), [["rsa1", "pass"], ["ed1", "pass"]])
      // And a byte changed in transit would have been noticed.
      const altered = Buffer.from(Buffer.from(received).toString("latin1").replace("..two dots", "..two d0ts"), "latin1")
      const bad = yield* verify(altered, zones)
      // mailauth reports a body hash mismatch as `neutral` with this comment (RFC 6376 §6.3: the signature fails).
      assert.deepStrictEqual(bad.map((r) => [r.status.result, r.status.comment]), [["neutral", "body hash did not verify"], ["neutral", "body hash did not verify"]])
    }).pipe(Effect.scoped))

  it.live("each key type alone", () =>
    Effect.gen(function*() {
      for (const key of [rsa(), ed25519()]) {
        const { received, zones } = yield* deliverSigned([key], trickyMessage)
        assert.deepStrictEqual(outcomes(yield* verify(received, zones)), ["pass"], key.selector)
      }
    }).pipe(Effect.scoped))
})
