import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import * as fc from "fast-check"
import * as Envelope from "../src/Envelope.ts"
import * as EnvelopeJson from "../src/EnvelopeJson.ts"
import { Arbitraries } from "../src/testing.ts"

// The reference: what the Schema itself writes and reads.
const viaSchema = Schema.fromJsonString(Envelope.Envelope)
const schemaEncode = Schema.encodeSync(viaSchema)
const schemaDecode = Schema.decodeUnknownSync(viaSchema)

const { envelope } = Arbitraries

/** The outcome of a decoder: the value, or that it threw. */
const outcome = (decode: (json: string) => unknown, json: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: decode(json) }
  } catch {
    return { ok: false }
  }
}

describe("EnvelopeJson", () => {
  it("encodes every envelope to the Schema's bytes", () => {
    fc.assert(fc.property(envelope, (e) => {
      assert.strictEqual(EnvelopeJson.encode(e), schemaEncode(e))
    }), { numRuns: 2000 })
  })

  it("drops fields the Schema does not know, as the Schema does", () => {
    const e = Envelope.make({ localPart: "a", domain: "b.test" }, [{ address: { localPart: "c", domain: "d.test" } }])
    const extra = { ...e, extra: 1, params: { ...e.params, x: "y" } } as Envelope.Envelope
    assert.strictEqual(EnvelopeJson.encode(extra), schemaEncode(extra))
    assert.strictEqual(EnvelopeJson.encode(extra), "{\"mailFrom\":{\"localPart\":\"a\",\"domain\":\"b.test\"},\"params\":{\"smtpUtf8\":false},\"recipients\":[{\"address\":{\"localPart\":\"c\",\"domain\":\"d.test\"}}]}")
  })

  it("decodes what it encodes, to what the Schema decodes", () => {
    fc.assert(fc.property(envelope, (e) => {
      const json = EnvelopeJson.encode(e)
      assert.deepStrictEqual(EnvelopeJson.decode(json), schemaDecode(json))
      assert.deepStrictEqual(EnvelopeJson.decode(json), schemaDecode(schemaEncode(e)))
    }), { numRuns: 2000 })
  })

  it("accepts and refuses exactly what the Schema accepts and refuses (corrupted records)", () => {
    // Mutations of valid records: a field replaced by a value of another type, removed, or one added.
    const junk = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.string({ unit: "binary", maxLength: 12 }),
      // Fresh containers for every use: a shared one, mutated at two paths, would make a cycle.
      fc.constant(0).map((): unknown => []),
      fc.constant(0).map((): unknown => ({})),
      fc.constantFrom("NEVER", "8BITMIME", "FULL", "7BIT")
    )
    const paths = [
      ["mailFrom"],
      ["mailFrom", "localPart"],
      ["mailFrom", "domain"],
      ["params"],
      ["params", "size"],
      ["params", "body"],
      ["params", "smtpUtf8"],
      ["params", "ret"],
      ["params", "envid"],
      ["params", "requireTls"],
      ["recipients"],
      ["recipients", 0],
      ["recipients", 0, "address"],
      ["recipients", 0, "address", "domain"],
      ["recipients", 0, "notify"],
      ["recipients", 0, "notify", 0],
      ["recipients", 0, "orcpt"],
      ["extra"]
    ] as const
    const mutation = fc.tuple(fc.constantFrom(...paths), fc.oneof(junk, fc.constant(undefined)))
    fc.assert(fc.property(envelope, fc.array(mutation, { minLength: 1, maxLength: 3 }), (e, mutations) => {
      const record: unknown = JSON.parse(schemaEncode(e))
      for (const [path, value] of mutations) {
        let target: unknown = record
        for (const key of path.slice(0, -1)) {
          target = typeof target === "object" && target !== null ? (target as Record<string | number, unknown>)[key] : undefined
        }
        const last = path[path.length - 1]
        if (typeof target !== "object" || target === null || last === undefined) continue
        if (value === undefined) delete (target as Record<string | number, unknown>)[last]
        else (target as Record<string | number, unknown>)[last] = structuredClone(value)
      }
      const json = JSON.stringify(record)
      assert.deepStrictEqual(outcome(EnvelopeJson.decode, json), outcome(schemaDecode, json))
    }), { numRuns: 3000 })
  })

  it("refuses text that is not JSON, with the Schema's error", () => {
    for (const json of ["", "{", "null", "[]", "\"x\"", "{\"mailFrom\":null}"]) {
      assert.throws(() => EnvelopeJson.decode(json))
      assert.throws(() => schemaDecode(json))
    }
  })
})
