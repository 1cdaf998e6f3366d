/**
 * DSN (RFC 3461) on the inbound side: the EHLO keyword, the MAIL (`RET`, `ENVID`) and RCPT (`NOTIFY`, `ORCPT`)
 * parameters, good ones stored decoded in the envelope the stores see, bad ones answered `501 5.5.4` naming them.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as DsnParams from "../src/DsnParams.ts"
import { acceptDomain, ehlo, recorder, transcript } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")

describe("DSN: EHLO", () => {
  it.live("DSN is advertised by default", () =>
    transcript([domain], S`
      <- 220 *
      -> EHLO client.test
      <* DSN
    `))

  it.live("dsn: false hides it, and its parameters are unsupported (555 5.5.4)", () =>
    transcript([domain], S`
      <- 220 *
      -> EHLO client.test
      <! DSN
      -> MAIL FROM:<alice@sender.test> RET=HDRS
      <- 555 5.5.4 Unsupported parameter RET
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test> NOTIFY=SUCCESS
      <- 555 5.5.4 Unsupported parameter NOTIFY
    `, { dsn: false }))
})

describe("DSN: good parameters reach the envelope, decoded", () => {
  it.live("RET, ENVID (xtext), NOTIFY, ORCPT (addr-type;xtext) per recipient", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> RET=hdrs ENVID=QQ+2B314+3Dx
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+40example.test
      <- 250 2.1.5 Accepted
      -> RCPT TO:<carol@example.test> notify=never
      <- 250 2.1.5 Accepted
      -> RCPT TO:<dave@example.test> NOTIFY=delay,DELAY
      <- 250 2.1.5 Accepted
      -> RCPT TO:<erin@example.test>
      <- 250 2.1.5 Accepted
      -> DATA
      <- 354 *
      => Subject: x\r\n\r\nhi\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() =>
      Effect.sync(() => {
        const txn = rec.messages[0]?.txn
        assert.deepStrictEqual(txn?.params, { smtpUtf8: false, ret: "HDRS", envid: "QQ+314=x" })
        assert.deepStrictEqual(txn?.recipients.map(({ notify, orcpt }) => ({ notify, orcpt })), [
          { notify: ["SUCCESS", "FAILURE"], orcpt: "rfc822;Bob@example.test" },
          { notify: ["NEVER"], orcpt: undefined },
          { notify: ["DELAY"], orcpt: undefined },
          { notify: undefined, orcpt: undefined }
        ])
      })
    ))
  })
})

describe("DSN: bad parameters get 501 5.5.4 with a clear text", () => {
  it.live("RET and ENVID", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> RET=BODY
      <- 501 5.5.4 Bad RET parameter: must be RET=FULL or RET=HDRS
      -> MAIL FROM:<alice@sender.test> RET
      <- 501 5.5.4 Bad RET parameter: must be RET=FULL or RET=HDRS
      -> MAIL FROM:<alice@sender.test> RET=FULL RET=HDRS
      <- 501 5.5.4 Duplicate RET parameter (RFC 3461 section 4)
      -> MAIL FROM:<alice@sender.test> ENVID=a+ZZ
      <- 501 5.5.4 Bad ENVID parameter: not xtext of printable US-ASCII (RFC 3461 section 4)
      -> MAIL FROM:<alice@sender.test> ENVID=a=b
      <- 501 5.5.4 Bad ENVID parameter: not xtext of printable US-ASCII (RFC 3461 section 4)
      -> MAIL FROM:<alice@sender.test> ENVID=ab+0D+0ARCPT
      <- 501 5.5.4 Bad ENVID parameter: not xtext of printable US-ASCII (RFC 3461 section 4)
      -> MAIL FROM:<alice@sender.test> ENVID=
      <- 501 5.5.4 Bad ENVID parameter: a value is required
      -> MAIL FROM:<alice@sender.test> ENVID=${"x".repeat(101)}
      <- 501 5.5.4 Bad ENVID parameter: longer than 100 characters
      -> MAIL FROM:<alice@sender.test> ENVID=${"x".repeat(100)}
      <- 250 2.1.0 Accepted
    `))

  it.live("NOTIFY and ORCPT", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test> NOTIFY=NEVER,SUCCESS
      <- 501 5.5.4 Bad NOTIFY parameter: NEVER cannot be combined with other values (RFC 3461 section 4.1)
      -> RCPT TO:<bob@example.test> NOTIFY=SUCCESS,SOMETIMES
      <- 501 5.5.4 Bad NOTIFY parameter: must be NEVER, or a list of SUCCESS, FAILURE, DELAY
      -> RCPT TO:<bob@example.test> NOTIFY=SUCCESS,
      <- 501 5.5.4 Bad NOTIFY parameter: must be NEVER, or a list of SUCCESS, FAILURE, DELAY
      -> RCPT TO:<bob@example.test> NOTIFY
      <- 501 5.5.4 Bad NOTIFY parameter: must be NEVER, or a list of SUCCESS, FAILURE, DELAY
      -> RCPT TO:<bob@example.test> NOTIFY=SUCCESS NOTIFY=FAILURE
      <- 501 5.5.4 Duplicate NOTIFY parameter (RFC 3461 section 4)
      -> RCPT TO:<bob@example.test> ORCPT=bob@example.test
      <- 501 5.5.4 Bad ORCPT parameter: must be addr-type;xtext, e.g. rfc822;bob@example.org
      -> RCPT TO:<bob@example.test> ORCPT=rfc822;
      <- 501 5.5.4 Bad ORCPT parameter: must be addr-type;xtext, e.g. rfc822;bob@example.org
      -> RCPT TO:<bob@example.test> ORCPT=rfc822;bob+0A@example.test
      <- 501 5.5.4 Bad ORCPT parameter: must be addr-type;xtext, e.g. rfc822;bob@example.org
      -> RCPT TO:<bob@example.test> ORCPT=rfc822;${"b".repeat(500)}
      <- 501 5.5.4 Bad ORCPT parameter: longer than 500 characters
      -> RCPT TO:<bob@example.test> NOTIFY=FAILURE ORCPT=rfc822;bob@example.test
      <- 250 2.1.5 Accepted
    `))
})

describe("DsnParams", () => {
  it("decodes xtext (both hex cases) and refuses what is not xtext", () => {
    assert.strictEqual(DsnParams.decodeXtext("a+2Bb+3dc"), "a+b=c")
    assert.strictEqual(DsnParams.decodeXtext("a+2"), undefined)
    assert.strictEqual(DsnParams.decodeXtext("a b"), undefined)
    assert.strictEqual(DsnParams.decodeXtext("\u00e9"), undefined)
    assert.strictEqual(DsnParams.decodeXtext("+00"), undefined)
  })

  it("reads parameters after a quoted local part", () => {
    assert.deepStrictEqual(DsnParams.parameters(`RCPT TO:<"a b>c"@x.test> NOTIFY=NEVER ORCPT=rfc822;x`), [
      ["NOTIFY", "NEVER"],
      ["ORCPT", "rfc822;x"]
    ])
  })
})
