import { assert, describe, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as EnhancedCode from "../src/EnhancedCode.ts"
import * as SmtpReply from "../src/SmtpReply.ts"
import * as Verdict from "../src/Verdict.ts"

describe("SmtpReply", () => {
  it("renders a single line with its enhanced code", () => {
    assert.strictEqual(SmtpReply.format(SmtpReply.make(550, "5.7.1", "Relaying denied")), "550 5.7.1 Relaying denied\r\n")
  })

  it("renders multi-line replies with continuation dashes", () => {
    const reply = SmtpReply.make(250, undefined, ["mx.test", "PIPELINING", "SIZE 1000"])
    assert.strictEqual(SmtpReply.format(reply), "250-mx.test\r\n250-PIPELINING\r\n250 SIZE 1000\r\n")
  })

  it("a 550 can never carry 4.x.x: the class is forced to the reply code's", () => {
    const reply = SmtpReply.fromParts(550, "4.7.1", "no")
    assert.strictEqual(reply.enhanced, "5.7.1")
    assert.strictEqual(SmtpReply.format(reply), "550 5.7.1 no\r\n")
    assert.strictEqual(SmtpReply.fromParts(451, "5.1.1", "later").enhanced, "4.1.1")
    assert.strictEqual(SmtpReply.fromParts(250, "5.0.0", "ok").enhanced, "2.0.0")
  })

  it("the class always matches, for any code and enhanced code (property)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 200, max: 559 }).filter((n) => Math.floor(n / 10) % 10 <= 5),
      fc.constantFrom(2, 4, 5),
      fc.integer({ min: 0, max: 999 }),
      fc.integer({ min: 0, max: 999 }),
      (code, cls, subject, detail) => {
        const reply = SmtpReply.fromParts(code, `${cls}.${subject}.${detail}`, "text")
        const replyClass = Math.floor(code / 100)
        if (replyClass === 3) return reply.enhanced === undefined
        return reply.enhanced !== undefined && EnhancedCode.classOf(reply.enhanced) === replyClass
      }
    ))
  })

  it("drops malformed enhanced codes", () => {
    assert.isUndefined(SmtpReply.fromParts(550, "5.1234.1", "x").enhanced)
    assert.isUndefined(SmtpReply.fromParts(550, "hello", "x").enhanced)
  })

  it("never lets CR, LF or other controls reach the wire", () => {
    const reply = SmtpReply.make(550, "5.7.1", "bad\r\nMAIL FROM:<evil@x>\u0000\u001b[31m")
    const wire = SmtpReply.format(reply)
    assert.strictEqual(wire, "550-5.7.1 bad\r\n550 5.7.1 MAIL FROM:<evil@x>  [31m\r\n")
    fc.assert(fc.property(fc.string(), (text) => {
      const out = SmtpReply.format(SmtpReply.make(451, "4.3.0", text))
      const lines = out.split("\r\n")
      return lines.at(-1) === "" && lines.slice(0, -1).every((l) => /^451[ -]/.test(l) && !/[\u0000-\u001f\u007f]/.test(l))
    }))
  })

  it("wraps very long text so that lines stay within 512 octets", () => {
    const out = SmtpReply.format(SmtpReply.make(550, "5.0.0", "x".repeat(2000)))
    for (const line of out.split("\r\n")) assert.isAtMost(line.length, 510)
  })

  it("throws for reply codes outside 200-559", () => {
    assert.throws(() => SmtpReply.fromParts(600, undefined, "x"))
    assert.throws(() => SmtpReply.fromParts(199, undefined, "x"))
    assert.throws(() => SmtpReply.fromParts(570, undefined, "x"))
  })

  it("parses multi-line replies with enhanced codes", () => {
    const reply = SmtpReply.parse("250-2.0.0 mx.test\r\n250-2.0.0 PIPELINING\r\n250 2.0.0 OK\r\n")
    assert.deepStrictEqual(reply, { code: 250, enhanced: "2.0.0", lines: ["mx.test", "PIPELINING", "OK"] })
    assert.deepStrictEqual(SmtpReply.parse("550 5.1.1 <bob@x>: no such user"), {
      code: 550, enhanced: "5.1.1", lines: ["<bob@x>: no such user"]
    })
    assert.deepStrictEqual(SmtpReply.parse("220 mx ESMTP"), { code: 220, enhanced: undefined, lines: ["mx ESMTP"] })
    assert.deepStrictEqual(SmtpReply.parse("354 go ahead"), { code: 354, enhanced: undefined, lines: ["go ahead"] })
  })

  it("parse corrects a remote server's mismatching class and rejects malformed replies", () => {
    assert.strictEqual(SmtpReply.parse("550 4.2.2 mailbox full")?.enhanced, "5.2.2")
    assert.isUndefined(SmtpReply.parse("250-a\r\n251 b"))
    assert.isUndefined(SmtpReply.parse("250-a"))
    assert.isUndefined(SmtpReply.parse("25 a"))
    assert.isUndefined(SmtpReply.parse(""))
  })

  it("parse takes any three-digit code as data: 000-999, classed by the first digit only", () => {
    assert.deepStrictEqual(SmtpReply.parse("150 hmm"), { code: 150, enhanced: undefined, lines: ["hmm"] })
    assert.deepStrictEqual(SmtpReply.parse("000"), { code: 0, enhanced: undefined, lines: [""] })
    assert.deepStrictEqual(SmtpReply.parse("999-5.1.1 a\r\n999 5.1.1 b"), { code: 999, enhanced: undefined, lines: ["5.1.1 a", "5.1.1 b"] })
    assert.deepStrictEqual(SmtpReply.parse("260 2.1.5 odd but positive"), { code: 260, enhanced: "2.1.5", lines: ["odd but positive"] })
    assert.deepStrictEqual(SmtpReply.parse("599 4.9.9 never"), { code: 599, enhanced: "5.9.9", lines: ["never"] })
    assert.deepStrictEqual(SmtpReply.parse("550 5.01.1 not an enhanced code"), { code: 550, enhanced: undefined, lines: ["5.01.1 not an enhanced code"] })
    assert.deepStrictEqual(
      [150, 260, 399, 0, 999, 650, 599].map((code) => SmtpReply.classOf(SmtpReply.received(code, undefined, "x") ?? SmtpReply.make(250, undefined, ""))),
      [undefined, 2, undefined, undefined, undefined, undefined, 5]
    )
    const zero = SmtpReply.parse("000 zero")
    assert.strictEqual(zero === undefined ? "" : SmtpReply.format(zero), "000 zero\r\n")
    assert.strictEqual(zero === undefined ? "" : SmtpReply.toString(zero), "000 zero")
  })

  it("received never throws and reads back what parse made; undefined outside 0-999", () => {
    for (const code of [-1, 1000, 1.5, Number.NaN, Infinity]) assert.isUndefined(SmtpReply.received(code, undefined, "x"))
    const r = SmtpReply.parse("399-what\r\n399 now")
    assert.deepStrictEqual(r && SmtpReply.received(r.code, r.enhanced, r.lines), r)
    // Found by the fuzz script: a trailing empty line must not hide the enhanced code of the others.
    const blank = SmtpReply.parse("200-2.0.0\r\n200 ")
    assert.deepStrictEqual(blank, { code: 200, enhanced: "2.0.0", lines: [""] })
    assert.deepStrictEqual(blank && SmtpReply.parse(SmtpReply.format(blank)), blank)
  })

  it("parse ∘ format is the identity on replies (property)", () => {
    const line = fc.string({ maxLength: 60 }).map((s) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, "").trim())
    fc.assert(fc.property(
      fc.constantFrom(250, 251, 421, 450, 451, 452, 500, 550, 552, 554),
      fc.integer({ min: 0, max: 9 }),
      fc.array(line.filter((l) => l !== "" && !/^[245]\.\d/.test(l)), { minLength: 1, maxLength: 4 }),
      (code, subject, lines) => {
        const cls = Math.floor(code / 100)
        const reply = SmtpReply.fromParts(code, `${cls}.${subject}.0`, lines)
        const parsed = SmtpReply.parse(SmtpReply.format(reply))
        assert.deepStrictEqual(parsed, reply)
      }
    ))
  })

  it("toString is one line", () => {
    assert.strictEqual(SmtpReply.toString(SmtpReply.make(451, "4.7.1", ["try", "later"])), "451 4.7.1 try later")
  })
})

describe("Verdict", () => {
  it("constructors fix the class", () => {
    const r = Verdict.reject("5.7.1", "no")
    const d = Verdict.defer("4.7.1", "later")
    const x = Verdict.disconnect()
    assert.strictEqual(SmtpReply.format(r.reply), "550 5.7.1 no\r\n")
    assert.strictEqual(SmtpReply.format(d.reply), "451 4.7.1 later\r\n")
    assert.strictEqual(x.reply.code, 421)
    const custom = Verdict.reject("5.3.4", "too big", { code: 552 })
    assert.strictEqual(SmtpReply.format(custom.reply), "552 5.3.4 too big\r\n")
    assert.strictEqual(Verdict.acceptWith(42).value, 42)
  })

  it("isSuccess and headersOf", () => {
    assert.isTrue(Verdict.isSuccess(Verdict.next))
    assert.isTrue(Verdict.isSuccess(Verdict.accept()))
    assert.isFalse(Verdict.isSuccess(Verdict.defer("4.7.1", "later")))
    assert.deepStrictEqual(Verdict.headersOf(Verdict.reject("5.0.0", "x")), [])
  })
})

describe("EnhancedCode", () => {
  it("validates RFC 3463 syntax", () => {
    assert.isTrue(EnhancedCode.isEnhancedCode("5.7.1"))
    assert.isTrue(EnhancedCode.isEnhancedCode("4.4.10"))
    assert.isTrue(EnhancedCode.isEnhancedCode("2.0.0"))
    assert.isFalse(EnhancedCode.isEnhancedCode("3.0.0"))
    assert.isFalse(EnhancedCode.isEnhancedCode("5.01.1"))
    assert.isFalse(EnhancedCode.isEnhancedCode("5.1000.1"))
    assert.isFalse(EnhancedCode.isEnhancedCode("5.7"))
  })
})
