import { assert, describe, it } from "@effect/vitest"
import { Address, Envelope } from "@cartero/smtp"
import * as Capabilities from "../src/Capabilities.ts"
import * as Commands from "../src/Commands.ts"

const all = Capabilities.fromEhlo(["250-mx.test hi", "250-PIPELINING", "250-8BITMIME", "250-SMTPUTF8", "250-DSN", "250-SIZE 1000", "250 STARTTLS"])
const env = Envelope.make(Address.make("a", "x.test"), [{ address: Address.make("b", "y.test"), notify: ["SUCCESS", "FAILURE"], orcpt: "rfc822;b@y.test" }], {
  smtpUtf8: false,
  body: "8BITMIME",
  ret: "HDRS",
  envid: "id with space=1"
})
const req: Commands.Requirements = { eightBit: true, smtpUtf8: true, size: 42 }

describe("Capabilities", () => {
  it("parses EHLO keywords, SIZE with and without a limit", () => {
    assert.isTrue(all.pipelining && all.eightBitMime && all.smtpUtf8 && all.dsn && all.startTls)
    assert.strictEqual(all.size, 1000)
    assert.strictEqual(Capabilities.fromEhlo(["250-x", "250 SIZE"]).size, 0)
    assert.isUndefined(Capabilities.fromEhlo(["250 x"]).size)
    assert.isFalse(Capabilities.fromEhlo(["250-x", "250 8BITMIME"]).pipelining)
  })
})

describe("Commands", () => {
  it("sends every parameter the server advertised", () => {
    assert.strictEqual(Commands.mailFrom(env, req, all), "MAIL FROM:<a@x.test> SIZE=42 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+20with+20space+3D1")
    assert.strictEqual(Commands.rcptTo(env.recipients[0] ?? { address: Address.make("z", "z.test") }, all), "RCPT TO:<b@y.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@y.test")
  })

  it("sends none of them to a server that advertised nothing", () => {
    assert.strictEqual(Commands.mailFrom(env, req, Capabilities.none), "MAIL FROM:<a@x.test>")
    assert.strictEqual(Commands.rcptTo(env.recipients[0] ?? { address: Address.make("z", "z.test") }, Capabilities.none), "RCPT TO:<b@y.test>")
  })

  it("NOTIFY=NEVER excludes the other values; the null sender is <>", () => {
    const r = { address: Address.make("b", "y.test"), notify: ["NEVER", "DELAY"] as const }
    assert.strictEqual(Commands.rcptTo(r, all), "RCPT TO:<b@y.test> NOTIFY=NEVER")
    assert.strictEqual(Commands.mailFrom(Envelope.make(null, []), { eightBit: false, smtpUtf8: false, size: undefined }, Capabilities.none), "MAIL FROM:<>")
  })

  it("encodes the decoded values the envelope holds as xtext, every time", () => {
    assert.strictEqual(Commands.xtext("abc+2Bdef"), "abc+2B2Bdef")
    assert.strictEqual(Commands.xtext("a=b"), "a+3Db")
    assert.strictEqual(Commands.xtext("\r\n"), "+0D+0A")
  })
})

describe("Commands: internationalised addresses", () => {
  const idn = Envelope.make(Address.make("a", "b\u00fccher.test"), [{ address: Address.make("b", "m\u00fcller.test") }])
  const plainReq: Commands.Requirements = { eightBit: false, smtpUtf8: false, size: undefined }

  it("an IDN domain goes out as A-labels without SMTPUTF8, as U-labels with it", () => {
    assert.isFalse(Commands.envelopeNeedsUtf8(idn))
    assert.strictEqual(Commands.mailFrom(idn, plainReq, Capabilities.none), "MAIL FROM:<a@xn--bcher-kva.test>")
    assert.strictEqual(Commands.rcptTo(idn.recipients[0] ?? { address: Address.make("z", "z.test") }, all, false), "RCPT TO:<b@xn--mller-kva.test>")
    assert.strictEqual(Commands.mailFrom(idn, { ...plainReq, smtpUtf8: true }, all), "MAIL FROM:<a@b\u00fccher.test> SMTPUTF8")
  })

  it("a non-ASCII local part needs SMTPUTF8", () => {
    assert.isTrue(Commands.envelopeNeedsUtf8(Envelope.make(null, [{ address: Address.make("j\u00f6rg", "x.test") }])))
  })
})
