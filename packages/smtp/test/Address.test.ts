import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as fc from "fast-check"
import * as Address from "../src/Address.ts"

const ok = (input: string, options?: Address.ParseOptions) => {
  const r = Address.parseMailbox(input, options)
  if (Result.isFailure(r)) throw new Error(`expected ${input} to parse: ${r.failure.message}`)
  return r.success
}
const reason = (input: string, options?: Address.ParseOptions) => {
  const r = Address.parseMailbox(input, options)
  return Result.isFailure(r) ? r.failure.reason : "ok"
}

describe("Address.parseMailbox", () => {
  it("parses dot-atoms and lower-cases the domain only", () => {
    assert.deepStrictEqual(ok("Alice.Smith@Example.TEST"), { localPart: "Alice.Smith", domain: "example.test" })
    assert.deepStrictEqual(ok("a+tag@x.test"), { localPart: "a+tag", domain: "x.test" })
  })

  it("parses quoted local parts and re-quotes them when formatting", () => {
    const a = ok("\"john doe\"@x.test")
    assert.strictEqual(a.localPart, "john doe")
    assert.strictEqual(Address.format(a), "\"john doe\"@x.test")
    const b = ok("\"a\\\"b@c\"@x.test")
    assert.strictEqual(b.localPart, "a\"b@c")
    assert.strictEqual(Address.format(b), "\"a\\\"b@c\"@x.test")
  })

  it("accepts address literals", () => {
    assert.strictEqual(ok("postmaster@[127.0.0.1]").domain, "[127.0.0.1]")
    assert.strictEqual(ok("postmaster@[IPv6:::1]").domain, "[IPv6:::1]")
    assert.strictEqual(ok("postmaster@[IPv6:2001:DB8::1]").domain, "[IPv6:2001:db8::1]")
    assert.strictEqual(reason("a@[300.0.0.1]"), "InvalidAddressLiteral")
    assert.strictEqual(reason("a@[IPv6:1:2:3]"), "InvalidAddressLiteral")
    assert.strictEqual(reason("a@[127.0.0.1"), "InvalidAddressLiteral")
  })

  it("rejects malformed syntax", () => {
    for (const bad of ["", "plain", "@x.test", "a@", "a..b@x.test", ".a@x.test", "a.@x.test", "a b@x.test", "a@x..test", "a@-x.test", "a@x-.test", "a@x_y.test", "\"unterminated@x.test", "a(comment)@x.test"]) {
      assert.notStrictEqual(reason(bad), "ok", bad)
    }
  })

  it("enforces length limits", () => {
    assert.strictEqual(reason(`${"a".repeat(64)}@x.test`), "ok")
    assert.strictEqual(reason(`${"a".repeat(65)}@x.test`), "LocalPartTooLong")
    const label = "a".repeat(63)
    const longDomain = [label, label, label, label, "b"].join(".")
    assert.strictEqual(reason(`a@${longDomain}`), "DomainTooLong")
    const domain = [label, label, label, "b".repeat(50)].join(".")
    assert.strictEqual(reason(`${"c".repeat(64)}@${domain}`), "PathTooLong")
    assert.strictEqual(reason(`a@${"a".repeat(64)}.test`), "InvalidDomain")
  })

  it("counts length limits in UTF-8 octets (SMTPUTF8 local parts)", () => {
    const utf8 = { smtpUtf8: true }
    // é is 2 octets, € 3, 😀 4 (a surrogate pair)
    assert.strictEqual(reason(`${"é".repeat(32)}@x.test`, utf8), "ok")
    assert.strictEqual(reason(`${"é".repeat(32)}a@x.test`, utf8), "LocalPartTooLong")
    assert.strictEqual(reason(`${"€".repeat(21)}a@x.test`, utf8), "ok")
    assert.strictEqual(reason(`${"€".repeat(21)}ab@x.test`, utf8), "LocalPartTooLong")
    assert.strictEqual(reason(`${"😀".repeat(16)}@x.test`, utf8), "ok")
    assert.strictEqual(reason(`${"😀".repeat(16)}a@x.test`, utf8), "LocalPartTooLong")
  })

  it("rejects every control character", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 0x1f }).chain((c) => fc.constant(String.fromCharCode(c))),
      fc.integer({ min: 0, max: 2 }),
      (ctl, pos) => {
        const input = pos === 0 ? `a${ctl}b@x.test` : pos === 1 ? `ab@x${ctl}.test` : `"a${ctl}b"@x.test`
        const r1 = Address.parseMailbox(input)
        const r2 = Address.parseMailbox(input, { smtpUtf8: true })
        return Result.isFailure(r1) && Result.isFailure(r2)
      }
    ))
    assert.strictEqual(reason("a\u007fb@x.test"), "ControlCharacter")
  })

  it("UTF-8 only with SMTPUTF8, and IDN domains normalised", () => {
    assert.strictEqual(reason("josé@x.test"), "Utf8NotAllowed")
    assert.strictEqual(reason("jose@bücher.test"), "Utf8NotAllowed")
    const a = ok("josé@Bücher.TEST", { smtpUtf8: true })
    assert.deepStrictEqual(a, { localPart: "josé", domain: "bücher.test" })
    assert.strictEqual(Address.asciiDomain(a), "xn--bcher-kva.test")
    assert.isTrue(Address.isInternational(a))
    assert.isFalse(Address.isInternational(ok("a@xn--bcher-kva.test")))
    assert.strictEqual(ok("用户@例子.测试", { smtpUtf8: true }).localPart, "用户")
  })
})

describe("Address.parsePath", () => {
  it("requires angle brackets and handles the null path", () => {
    assert.strictEqual(Result.getOrThrow(Address.parsePath("<>", { allowNull: true })), null)
    assert.isTrue(Result.isFailure(Address.parsePath("<>")))
    assert.isTrue(Result.isFailure(Address.parsePath("a@x.test")))
    assert.deepStrictEqual(Result.getOrThrow(Address.parsePath("<a@x.test>")), { localPart: "a", domain: "x.test" })
  })

  it("ignores source routes", () => {
    assert.deepStrictEqual(Result.getOrThrow(Address.parsePath("<@relay.test,@b.test:a@x.test>")), { localPart: "a", domain: "x.test" })
  })

  it("formats paths", () => {
    assert.strictEqual(Address.formatPath(null), "<>")
    assert.strictEqual(Address.formatPath({ localPart: "a", domain: "x.test" }), "<a@x.test>")
  })
})

describe("Address round trip (property)", () => {
  const atext = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".split(""))
  const atom = fc.array(atext, { minLength: 1, maxLength: 10 }).map((a) => a.join(""))
  const dotAtom = fc.array(atom, { minLength: 1, maxLength: 3 }).map((a) => a.join("."))
  const quotedChar = fc.integer({ min: 32, max: 126 }).map((c) => String.fromCharCode(c))
  const quotedLocal = fc.array(quotedChar, { minLength: 1, maxLength: 20 }).map((a) => a.join(""))
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
  const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((a) => a.join("."))

  it("format ∘ parse is a fixed point and parse ∘ format the identity", () => {
    fc.assert(fc.property(fc.oneof(dotAtom, quotedLocal), domain, (local, dom) => {
      const address = { localPart: local, domain: dom }
      const text = Address.format(address)
      const parsed = Address.parseMailbox(text)
      if (Result.isFailure(parsed)) {
        // only length limits may refuse a generated address
        return ["LocalPartTooLong", "PathTooLong"].includes(parsed.failure.reason)
      }
      assert.deepStrictEqual(parsed.success, address)
      assert.strictEqual(Address.format(parsed.success), text)
      return true
    }))
  })
})

describe("Address.splitPath", () => {
  it("finds the end of the path, past a quoted > or space, and keeps the parameters", () => {
    assert.deepStrictEqual(Address.splitPath("<a@x.test> SIZE=10"), { path: "<a@x.test>", rest: " SIZE=10" })
    assert.deepStrictEqual(Address.splitPath("<\"john doe\"@x.test> BODY=8BITMIME"), {
      path: "<\"john doe\"@x.test>",
      rest: " BODY=8BITMIME"
    })
    assert.deepStrictEqual(Address.splitPath("<\"a>b \\\" c\"@x.test>"), { path: "<\"a>b \\\" c\"@x.test>", rest: "" })
    assert.deepStrictEqual(Address.splitPath("a@x.test SIZE=1"), { path: "a@x.test", rest: " SIZE=1" })
    assert.deepStrictEqual(Address.splitPath("<>"), { path: "<>", rest: "" })
    assert.isUndefined(Address.splitPath("<\"unterminated@x.test>"))
    assert.isUndefined(Address.splitPath("<a@x.test"))
  })

  it("never throws", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => {
      const split = Address.splitPath(s)
      return split === undefined || split.path + split.rest === s
    }), { numRuns: 500 })
  })
})

describe("Address.parsePath on quoted local parts and unsafe characters", () => {
  it("accepts RFC 5321 quoted local parts with spaces and specials", () => {
    assert.deepStrictEqual(Result.getOrThrow(Address.parsePath("<\"john doe\"@localhost>")), { localPart: "john doe", domain: "localhost" })
    assert.deepStrictEqual(Result.getOrThrow(Address.parsePath("<\"a>b,c:d\"@x.test>")), { localPart: "a>b,c:d", domain: "x.test" })
  })

  it("refuses control and invisible formatting characters, quoted or not", () => {
    for (const bad of ["<\"a\u0000b\"@x.test>", "<\"a\rb\"@x.test>", "<a\u0085b@x.test>"]) {
      assert.strictEqual(Result.isFailure(Address.parsePath(bad, { smtpUtf8: true })), true, bad)
    }
    for (const bad of ["<\"a\u200bb\"@x.test>", "<pay\u202epal@x.test>", "<a@x\ufeff.test>", "<\u2060a@x.test>"]) {
      const r = Address.parsePath(bad, { smtpUtf8: true })
      assert.isTrue(Result.isFailure(r) && r.failure.reason === "ControlCharacter", bad)
    }
    // zero-width joiners stay allowed (some scripts need them)
    assert.isTrue(Result.isSuccess(Address.parsePath("<a\u200db@x.test>", { smtpUtf8: true })))
  })
})

describe("Address.parsePath on arbitrary input (property)", () => {
  const anyText = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.string({ unit: "binary", maxLength: 300 }),
    fc.string({ unit: fc.constantFrom(..."<>\"\\@.:,[] aZ09-\u0000\u200b\u00e9"), maxLength: 80 })
  )
  const pathLike = fc.tuple(anyText, anyText).map(([a, b]) => `<${a}@${b}>`)
  // Near-valid paths, so that many inputs are accepted and the round trip is exercised.
  const piece = fc.string({ unit: fc.constantFrom(..."abcXYZ019.!#+-_=~\u00e9\u00fc\u4e2d"), minLength: 1, maxLength: 12 })
  const quoted = fc.string({ unit: fc.constantFrom(..." a\"\\<>@,;:()[].\u00e9"), maxLength: 12 }).map((q) => `"${q}"`)
  const domainish = fc.oneof(
    fc.array(piece, { minLength: 1, maxLength: 3 }).map((l) => l.join(".")),
    fc.ipV4().map((ip) => `[${ip}]`),
    fc.ipV6().map((ip) => `[IPv6:${ip}]`)
  )
  const nearValid = fc.tuple(fc.constantFrom("", "@relay.test:", "@a,@b:"), fc.oneof(piece, quoted), domainish)
    .map(([route, local, dom]) => `<${route}${local}@${dom}>`)

  it("never throws; what it accepts formats and parses back to the same address", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, pathLike, nearValid, nearValid), fc.boolean(), (input, smtpUtf8) => {
        const parsed = Address.parsePath(input, { smtpUtf8, allowNull: true })
        if (Result.isFailure(parsed)) return typeof parsed.failure.detail === "string"
        const again = Address.parsePath(Address.formatPath(parsed.success), { smtpUtf8, allowNull: true })
        assert.isTrue(Result.isSuccess(again), `${JSON.stringify(input)} → ${Address.formatPath(parsed.success)}`)
        if (Result.isSuccess(again)) assert.deepStrictEqual(again.success, parsed.success)
        return true
      }),
      { numRuns: 2000 }
    )
  })
})
