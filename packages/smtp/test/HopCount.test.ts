import { assert, describe, it } from "@effect/vitest"
import fc from "fast-check"
import { HopCount } from "../src/index.ts"

const bytes = (text: string) => new TextEncoder().encode(text)

describe("HopCount", () => {
  it("counts Received: fields of the header block only, any case, CRLF or LF", () => {
    assert.strictEqual(HopCount.count(bytes("Received: a\r\nreceived: b\r\n\tfolded\r\nRECEIVED:c\r\nSubject: x\r\n\r\nReceived: in the body\r\n")), 3)
    assert.strictEqual(HopCount.count(bytes("Received: a\nX-Received: b\nReceived-SPF: pass\n\nReceived: body\n")), 1)
    assert.strictEqual(HopCount.count(bytes("Received: no end of header block")), 1)
    assert.strictEqual(HopCount.count(bytes("")), 0)
    assert.strictEqual(HopCount.count(bytes("\r\nReceived: body only\r\n")), 0)
  })

  it("the limit counts the hop being made", () => {
    assert.isFalse(HopCount.exceeds(99, 100))
    assert.isTrue(HopCount.exceeds(100, 100))
  })

  it("property: equals a line-by-line count over arbitrary header blocks", () => {
    const line = fc.oneof(
      fc.constantFrom("Received: from x by y", "received:z", "X-Received: no", "Subject: s", "\tcontinued", " Received: folded"),
      fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, ""))
    ).filter((l) => l !== "")
    fc.assert(fc.property(fc.array(line, { maxLength: 60 }), fc.string({ maxLength: 40 }), (lines, body) => {
      const text = `${lines.join("\r\n")}\r\n\r\n${body}`
      const expected = lines.filter((l) => /^received:/i.test(l)).length
      assert.strictEqual(HopCount.count(bytes(text)), expected)
    }), { numRuns: 300 })
  })
})
