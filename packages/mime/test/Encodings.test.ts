import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import { Base64, QuotedPrintable, TransferEncoding } from "../src/index.ts"

const str = (u: Uint8Array) => Buffer.from(u).toString("latin1")

describe("Base64", () => {
  it("tolerates whitespace, missing padding and junk", () => {
    expect(str(Base64.decode("SGVs\r\nbG8g\t d29y bGQ"))).toBe("hello world".replace("h", "H"))
    expect(str(Base64.decode("SGk"))).toBe("Hi")
    const d = new Base64.Decoder()
    d.write(Buffer.from("SGV*sbG8!"))
    expect(str(d.end())).toBe("Hello")
    expect(d.invalid).toBe(2)
  })

  it("decodes the same whatever the chunking", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 17 }), (bytes, step) => {
        const encoded = Buffer.from(Base64.encode(bytes))
        const d = new Base64.Decoder()
        for (let i = 0; i < encoded.length; i += step) d.write(encoded, i, Math.min(encoded.length, i + step))
        expect(Buffer.from(d.end()).equals(Buffer.from(bytes))).toBe(true)
      })
    )
  })

  it("takes the native fast path on large input with the same results, junk and padding included", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 800, maxLength: 6000 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom("*", "!", "-", "_", " ", "\t", "\r\n", "\n")), { maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 4 }),
        (bytes, junk, sizes) => {
          let text = Base64.encode(bytes)
          let expectInvalid = 0
          for (const [at, j] of junk) {
            // Junk goes anywhere before the padding.
            const limit = text.indexOf("=") < 0 ? text.length : text.indexOf("=")
            const i = at % (limit + 1)
            text = text.slice(0, i) + j + text.slice(i)
            if (j === "*" || j === "!" || j === "-" || j === "_") expectInvalid++
          }
          const encoded = Buffer.from(text)
          const whole = new Base64.Decoder()
          whole.write(encoded)
          expect(Buffer.from(whole.end()).equals(Buffer.from(bytes))).toBe(true)
          expect(whole.invalid).toBe(expectInvalid)
          const chunked = new Base64.Decoder()
          let at = 0
          for (let k = 0; at < encoded.length; k++) {
            const n = sizes[k % sizes.length] ?? 1
            chunked.write(encoded, at, Math.min(encoded.length, at + n))
            at += n
          }
          expect(Buffer.from(chunked.end()).equals(Buffer.from(bytes))).toBe(true)
          expect(chunked.invalid).toBe(expectInvalid)
        }
      ),
      { numRuns: 200 }
    )
  })

  it("keeps decoding after padding in the middle (concatenated blobs)", () => {
    const a = Base64.encode(Buffer.from("first part!")) + "\r\n"
    const b = Base64.encode(Buffer.from("x".repeat(2000)))
    expect(str(Base64.decode(a + b))).toBe("first part!" + "x".repeat(2000))
  })

  it("encodes in CRLF lines of at most 76 characters", () => {
    const out = Base64.encode(new Uint8Array(1000).fill(7))
    for (const line of out.split("\r\n")) expect(line.length).toBeLessThanOrEqual(76)
  })
})

describe("QuotedPrintable", () => {
  it("decodes soft breaks, lowercase hex, trailing whitespace and stray =", () => {
    expect(str(QuotedPrintable.decode("caf=c3=a9 au=\r\n lait=\nx  \r\nnext = here=4"))).toBe("caf\xc3\xa9 au laitx\r\nnext = here=4")
    expect(str(QuotedPrintable.decode("soft with space=  \r\nend"))).toBe("soft with spaceend")
  })

  it("round-trips any bytes and decodes the same whatever the chunking", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 9 }), (bytes, step) => {
        // QP is for text: line breaks are CRLF on the wire.
        const text = Buffer.from(str(bytes).replace(/\r?\n|\r/g, "\r\n"), "latin1")
        const encoded = Buffer.from(QuotedPrintable.encode(text))
        for (const line of encoded.toString("latin1").split("\r\n")) expect(line.length).toBeLessThanOrEqual(76)
        const d = new QuotedPrintable.Decoder()
        for (let i = 0; i < encoded.length; i += step) d.write(encoded, i, Math.min(encoded.length, i + step))
        const decoded = Buffer.from(d.end())
        expect(decoded.toString("latin1")).toBe(text.toString("latin1"))
      })
    )
  })
})

describe("TransferEncoding.choose", () => {
  const b = (s: string) => Buffer.from(s, "utf8")
  it("prefers 7bit, then 8bit when allowed, QP for mostly-ASCII text, base64 otherwise", () => {
    expect(TransferEncoding.choose(b("hello\r\nworld\r\n"), { text: true })).toBe("7bit")
    expect(TransferEncoding.choose(b("héllo wörld, mostly ascii text"), { text: true })).toBe("quoted-printable")
    expect(TransferEncoding.choose(b("héllo"), { text: true, allow8bit: true })).toBe("8bit")
    expect(TransferEncoding.choose(b("日本語のテキストです"), { text: true })).toBe("base64")
    expect(TransferEncoding.choose(b("x".repeat(1200)), { text: true })).toBe("quoted-printable")
    expect(TransferEncoding.choose(Uint8Array.from([0, 1, 2, 255]), { text: false })).toBe("base64")
    expect(TransferEncoding.choose(b("héllo"), { text: false, allow8bit: true })).toBe("base64")
  })
})
