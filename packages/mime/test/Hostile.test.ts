/**
 * Every reader of bytes from the network, under hostile input (issue 12): fast-check properties (bounded runs) that
 * the header parser, the encoded-word decoder, dates, Content-Type and the DSN reader never throw and give back what
 * was written with our own writers; and the limits that keep hostile input cheap (the charset cache's size, the
 * charset changes decoded per value, the length of a date read, nesting depth reported as a defect).
 */
import { describe, expect, it } from "vitest"
import fc from "fast-check"
import { Builder, Charset, ContentType, Dsn, EncodedWord, Headers, MailDate, Message, Parser, Part } from "../src/index.ts"

const runs = (n: number) => ({ numRuns: n })

/** Pieces that mean something to one reader or another, and any bytes at all. */
const special = ["\r\n", "\n", "\r", ":", " ", "\t", "(", ")", "\\", "\"", ";", "=", "?", "=?", "?=", "<", ">", ",", "@", "--", "\u0000", "\u00e9", "\u00ff"]
const noise = fc
  .array(fc.oneof(fc.constantFrom(...special), fc.string({ unit: "binary-ascii", maxLength: 8 }), fc.constantFrom("=?utf-8?q?a_b?=", "=?x-unknown?b?/w==?=", "Content-Type: ", "Date: ", "Subject: ")), { maxLength: 60 })
  .map((pieces) => pieces.join(""))
const noiseBytes = noise.map((s) => Buffer.from(s, "latin1"))

/** Any text without CR, LF or NUL (which `Headers.fold` turns into spaces) and without lone surrogates. */
const lineText = fc.string({ unit: "binary", maxLength: 120 }).map((s) => s.replace(/[\r\n\u0000]/g, "x"))
const fieldName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,19}$/)

describe("Headers", () => {
  it("never throws on arbitrary bytes, and every field's decoded value can be read", () => {
    fc.assert(
      fc.property(noiseBytes, (bytes) => {
        const headers = Headers.parse(bytes)
        expect(headers.length).toBeLessThanOrEqual(bytes.length)
        for (const field of headers.fields) expect(typeof field.decoded).toBe("string")
      }),
      runs(500)
    )
  })

  it("gives back the fields Headers.format wrote (folding, RFC 2047 encoding and unfolding round trip)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fieldName, lineText), { minLength: 1, maxLength: 6 }), (fields) => {
        const block = fields.map(([name, value]) => Headers.format(name, value)).join("") + "\r\n"
        for (const line of block.split("\r\n")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(998)
        const parsed = Headers.parse(block)
        expect(parsed.defects).toEqual([])
        expect(parsed.fields.map((f) => [f.name, f.decoded])).toEqual(fields.map(([name, value]) => [name, Headers.trimBlanks(value)]))
      }),
      runs(300)
    )
  })
})

describe("EncodedWord", () => {
  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(noise, (value) => {
        expect(typeof EncodedWord.decode(value)).toBe("string")
      }),
      runs(500)
    )
  })

  it("decodes what it encoded", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
        expect(EncodedWord.decode(EncodedWord.encodeWords(text))).toBe(text)
      }),
      runs(300)
    )
  })

  it("decodes up to 100 changes of charset in a value and leaves the rest as written", () => {
    const words = Array.from({ length: 150 }, (_, i) => (i % 2 === 0 ? "=?iso-8859-1?q?=E9?=" : "=?koi8-r?q?=C1?="))
    const decoded = EncodedWord.decode(words.join(" "))
    expect(decoded.startsWith("éа".repeat(50))).toBe(true)
    expect(decoded.slice(100)).toBe(` ${words.slice(100).join(" ")}`)
    // One charset throughout is one change, however many words: a subject of thousands of words decodes whole.
    expect(EncodedWord.decode("=?utf-8?q?a?= ".repeat(5000))).toBe("a".repeat(5000) + " ")
  })
})

describe("MailDate", () => {
  const dates = fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000))

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(noise, (value) => {
        const d = MailDate.parse(value)
        expect(d === undefined || Number.isFinite(d.getTime())).toBe(true)
      }),
      runs(500)
    )
  })

  it("reads back what it formatted, with nested comments and quoted pairs between the tokens", () => {
    const comment = fc.constantFrom("", " (a)", " (a (b) c)", " (a \\) b)", " (\\(\\()", " ((x))")
    fc.assert(
      fc.property(dates, fc.array(comment, { minLength: 8, maxLength: 8 }), (date, comments) => {
        const tokens = MailDate.format(date).split(" ")
        const value = tokens.map((t, i) => t + (comments[i] ?? "")).join(" ")
        expect(MailDate.parse(value)?.getTime()).toBe(date.getTime())
      }),
      runs(300)
    )
  })

  it("reads only the first MAX_LENGTH characters of a value", () => {
    expect(MailDate.parse(`${" ".repeat(MailDate.MAX_LENGTH)}Fri, 21 Nov 1997 09:55:06 -0600`)).toBeUndefined()
    expect(MailDate.parse(`Fri, 21 Nov 1997 09:55:06 -0600 (${"(".repeat(1 << 20)}`)?.toISOString()).toBe("1997-11-21T15:55:06.000Z")
  })
})

describe("ContentType", () => {
  const paramName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/)
  // Encoded words inside parameters are decoded (a common non-standard practice), so values holding `=?` are left out.
  const paramValue = fc.string({ unit: "binary", maxLength: 150 }).filter((v) => !v.includes("=?"))

  it("never throws on arbitrary text", () => {
    fc.assert(
      fc.property(noise, (value) => {
        ContentType.parse(value)
        expect(typeof ContentType.parseDisposition(value).type).toBe("string")
      }),
      runs(500)
    )
  })

  it("gives back the parameters Builder.param wrote (quoted, RFC 2231 encoded and continued)", () => {
    fc.assert(
      fc.property(paramName, paramValue, (name, value) => {
        const ct = ContentType.parse(`application/x-test; ${Builder.param(name, value)} (a comment (nested) \\) here)`)
        expect(ct?.mediaType).toBe("application/x-test")
        expect(ct?.params[name]).toBe(value)
      }),
      runs(300)
    )
  })

  it("removes nested comments and quoted pairs, and keeps parentheses inside quotes", () => {
    expect(ContentType.parse('text/plain (a (b) \\) c); charset="utf-8 (not a comment)" (d)')?.params).toEqual({ charset: "utf-8 (not a comment)" })
    const part = Parser.parse("Content-Transfer-Encoding: base64 (a (nested) \\) comment)\r\n\r\naGk=")
    expect(part.transferEncoding).toBe("base64")
    expect(Buffer.from(part.body ?? new Uint8Array(0)).toString()).toBe("hi")
  })
})

describe("Dsn", () => {
  const text = fc.string({ unit: "binary", maxLength: 60 })
  const recipient = fc.record({
    finalRecipient: text,
    originalRecipient: fc.option(text, { nil: undefined }),
    action: fc.constantFrom("failed", "delayed", "delivered", "relayed", "expanded"),
    status: fc.oneof(fc.constantFrom("5.1.1", "4.4.1", "2.0.0", "5.7.26"), text),
    diagnosticCode: fc.option(text, { nil: undefined }),
    remoteMta: fc.option(text, { nil: undefined }),
    lastAttemptDate: fc.option(fc.integer({ min: 0, max: 32_503_680_000 }).map((s) => new Date(s * 1000)), { nil: undefined })
  })

  it("never throws on arbitrary bytes", () => {
    fc.assert(
      fc.property(noiseBytes, (bytes) => {
        Dsn.read(bytes)
        expect(Dsn.readStatus(bytes).recipients.length).toBeGreaterThanOrEqual(0)
      }),
      runs(500)
    )
  })

  it("reads back what Dsn.make wrote, remote text sanitised", () => {
    fc.assert(
      fc.property(fc.array(recipient, { minLength: 1, maxLength: 4 }), text, text, (recipients, mta, envid) => {
        const spec: Dsn.Spec = {
          reportingMta: mta,
          from: "MAILER-DAEMON@mx.test",
          to: "alice@example.com",
          original: Buffer.from("Subject: hi\r\n\r\nbody\r\n"),
          originalEnvelopeId: envid,
          arrivalDate: new Date("2026-11-26T05:00:00Z"),
          recipients: recipients.map((r) => {
            const { originalRecipient, diagnosticCode, remoteMta, lastAttemptDate, ...rest } = r
            return {
              ...rest,
              ...(originalRecipient === undefined ? {} : { originalRecipient }),
              ...(diagnosticCode === undefined ? {} : { diagnosticCode }),
              ...(remoteMta === undefined ? {} : { remoteMta }),
              ...(lastAttemptDate === undefined ? {} : { lastAttemptDate })
            }
          })
        }
        const report = Dsn.read(Dsn.make(spec))
        expect(report?.reportingMta).toBe(Dsn.sanitize(mta))
        expect(report?.originalEnvelopeId).toBe(Dsn.sanitize(envid))
        expect(report?.arrivalDate?.toISOString()).toBe("2026-11-26T05:00:00.000Z")
        expect(report?.recipients).toEqual(
          recipients.map((r) => ({
            finalRecipient: Dsn.sanitize(r.finalRecipient),
            originalRecipient: r.originalRecipient === undefined ? undefined : Dsn.sanitize(r.originalRecipient),
            action: r.action,
            // A status that is not one falls back to the action's class (2.0.0 for delivered, relayed, expanded).
            status: /^[245]\.\d{1,3}\.\d{1,3}$/.test(r.status) ? r.status : r.action === "failed" ? "5.0.0" : r.action === "delayed" ? "4.0.0" : "2.0.0",
            diagnosticCode: r.diagnosticCode === undefined ? undefined : Dsn.sanitize(r.diagnosticCode),
            remoteMta: r.remoteMta === undefined ? undefined : Dsn.sanitize(r.remoteMta),
            lastAttemptDate: r.lastAttemptDate,
            willRetryUntil: undefined
          }))
        )
      }),
      runs(200)
    )
  })

  it("finds the report wherever it sits, and reads none in a message without one", () => {
    expect(Dsn.read("Subject: hi\r\n\r\nbody")).toBeUndefined()
    const nested = `Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/report; boundary=i\r\n\r\n--i\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; a.example\r\n\r\n\r\nFinal-Recipient: rfc822; b@c.example\r\nAction: failed (bounced)\r\nStatus: 5.1.1 (no such user)\r\n--i--\r\n--o--\r\n`
    const report = Dsn.read(nested)
    expect(report?.reportingMta).toBe("a.example")
    expect(report?.recipients.map((r) => [r.finalRecipient, r.action, r.status])).toEqual([["b@c.example", "failed", "5.1.1"]])
  })
})

describe("Charset", () => {
  it("keeps at most CACHE_SIZE decoders, whatever labels a message names", () => {
    const known = ["iso-8859-2", "iso-8859-5", "iso-8859-7", "windows-1250", "windows-1251", "windows-1253", "koi8-r", "koi8-u", "gbk", "big5", "euc-jp", "euc-kr", "shift_jis", "macintosh", "ibm866", "x-mac-cyrillic"]
    const spellings = (label: string) => [label, label.toUpperCase(), `x-${label}`, label.replace(/-/g, "_"), ` "${label}" `]
    const bytes = Buffer.from([0x63, 0x61, 0x66, 0xe9])
    for (let i = 0; i < 10_000; i++) {
      // Unknown labels and known ones, the latter cycling through every spelling of every label.
      const k = i >> 1
      const label = i % 2 === 0 ? `x-unknown-${i}` : (spellings(known[k % known.length] ?? "utf-8")[Math.floor(k / known.length) % 5] ?? "utf-8")
      Charset.decode(bytes, label)
      expect(Charset.cachedDecoders()).toBeLessThanOrEqual(Charset.CACHE_SIZE)
    }
    expect(Charset.cachedDecoders()).toBe(Charset.CACHE_SIZE)
    // Still right after all that churn, for known and unknown labels alike.
    expect(Charset.decode(bytes, "iso-8859-1")).toEqual({ text: "café", known: true })
    expect(Charset.decode(Buffer.from([0xc1]), "koi8-r")).toEqual({ text: "а", known: true })
    expect(Charset.decode(bytes, "x-unknown-again")).toEqual({ text: "café", known: false })
    expect(Charset.decode(bytes, "x-unknown-again")).toEqual({ text: "café", known: false })
  })

  it("decodes a UTF-7 run of a megabyte (once a stack overflow)", () => {
    // "AGEAYgBj" is 48 bits: the UTF-16 units of "abc".
    const text = Charset.decode(Buffer.from(`+${"AGEAYgBj".repeat(1 << 17)}-`), "utf-7").text
    expect(text).toBe("abc".repeat(1 << 17))
  })
})

describe("deep nesting", () => {
  const deep = (levels: number, multipart: boolean): Buffer =>
    Buffer.from(
      Array.from({ length: levels }, (_, i) => (multipart ? `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n` : "Content-Type: message/rfc822\r\n\r\n")).join("") +
        "Subject: inner\r\n\r\ntext\r\n"
    )

  for (const multipart of [true, false]) {
    it(`reads 10,000 levels of ${multipart ? "multipart" : "message/rfc822"} without overflowing the stack, reporting NestingTooDeep`, () => {
      const bytes = deep(10_000, multipart)
      for (const root of [Parser.parse(bytes), Parser.parseStructure(bytes)]) {
        const parts = [...Part.walk(root)]
        expect(Math.max(...parts.map((p) => p.depth))).toBe(256)
        expect(Part.defects(root).filter((d) => d.kind === "NestingTooDeep")).toHaveLength(1)
      }
      const message = Message.parse(bytes)
      expect(message.defects.some((d) => d.kind === "NestingTooDeep")).toBe(true)
      // Without a depth limit every level is a part, still read without recursion.
      const unlimited = Parser.parse(bytes, { maxDepth: Number.MAX_SAFE_INTEGER })
      expect([...Part.walk(unlimited)].length).toBe(10_001)
      expect(Message.fromPart(unlimited, bytes).text).toBe(multipart ? "text\n" : undefined)
    })
  }
})
