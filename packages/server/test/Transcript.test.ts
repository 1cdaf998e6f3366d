/**
 * Protocol behaviour pinned with transcripts against a real server on 127.0.0.1 (port 0): every reply line that
 * matters is written out exactly, enhanced code included.
 */
import { Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { acceptDomain, ehlo, envelope, hooks, recorder, tls, transcript } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")

describe("EHLO", () => {
  it.live("advertises the extensions, SIZE, no AUTH and no STARTTLS on a plain MX listener", () =>
    transcript([domain], S`
      <- 220 mx.test ESMTP
      -> EHLO client.test
      <- 250-mx.test Hello [127.0.0.1]
      <- 250-PIPELINING
      <- 250-8BITMIME
      <- 250-SMTPUTF8
      <- 250-ENHANCEDSTATUSCODES
      <- 250-DSN
      <- 250-SIZE 26214400
      <- 250 CHUNKING
    `))

  it.live("advertises STARTTLS when TLS is configured, still no AUTH on MX", () =>
    transcript([domain], S`
      <- 220 *
      -> EHLO client.test
      <* STARTTLS
      <! AUTH
      <* SIZE 1000
    `, { tls, maxMessageSize: 1000 }))

  it.live("HELO works and the Received header says SMTP", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      <- 220 *
      -> HELO old.client.test
      <- 250 mx.test Hello [127.0.0.1]
      ${envelope}
      => hi\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const prepend = rec.messages[0]?.message.prepend ?? ""
      assert.match(prepend, /^Received: from old\.client\.test \(unknown \[127\.0\.0\.1\]\)\r\n\tby mx\.test with SMTP id /)
    })))
  })

  it.live("MAIL before HELO is refused with 503 5.5.1", () =>
    transcript([domain], S`
      <- 220 *
      -> MAIL FROM:<alice@sender.test>
      <- 503 5.5.1 Error: send HELO/EHLO first
    `))

  it.live("a helo hook rejection is answered at EHLO time and leaves the client un-greeted", () =>
    transcript([
      hooks("helo-check", {
        helo: (_c, helo) =>
          Effect.succeed(helo.domain === "bad.test" ? Verdict.reject("5.7.1", "Bad HELO name") : Verdict.next)
      }),
      domain
    ], S`
      <- 220 *
      -> EHLO bad.test
      <- 550 5.7.1 Bad HELO name
      -> MAIL FROM:<alice@sender.test>
      <- 503 5.5.1 Error: send HELO/EHLO first
      -> EHLO good.test
      <~ 250 CHUNKING
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
    `))

  it.live("a helo hook Disconnect answers 421 and closes", () =>
    transcript([hooks("helo-drop", { helo: () => Effect.succeed(Verdict.disconnect("4.7.0", "Go away")) })], S`
      <- 220 *
      -> EHLO client.test
      <- 421 4.7.0 Go away
      << closed
    `))
})

describe("connect", () => {
  it.live("a connect hook rejection is sent instead of the banner, then the connection closes", () =>
    transcript([hooks("blocklist", { connect: () => Effect.succeed(Verdict.reject("5.7.1", "No service for you", { code: 554 })) })], S`
      <- 554 5.7.1 No service for you
      << closed
    `))

  it.live("the session id is the same in every hook of a connection", () => {
    const seen: Array<string> = []
    return transcript([
      hooks("ids", {
        connect: (c) => Effect.sync(() => (seen.push(c.id), Verdict.next)),
        helo: (c) => Effect.sync(() => (seen.push(c.id), Verdict.next)),
        mailFrom: (t) => Effect.sync(() => (seen.push(t.connection.id), Verdict.next))
      }),
      domain
    ], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
    `).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(seen.length, 3)
      assert.strictEqual(new Set(seen).size, 1)
    })))
  })
})

describe("MAIL FROM / RCPT TO", () => {
  it.live("default-deny: a recipient no plugin accepts gets 550 5.7.1", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<carol@elsewhere.test>
      <- 550 5.7.1 Relaying denied
      -> RCPT TO:<bob@example.test>
      <- 250 2.1.5 Accepted
    `))

  it.live("a sender smtp-server cannot parse gets 501 5.1.7", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@@sender.test>
      <- 501 5.1.7 Error: Bad sender address syntax
    `))

  it.live("a sender Address.parsePath refuses gets 501 5.1.7 with the reason", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<al(ice@sender.test>
      <~ 501 5.1.7 Bad sender address syntax: invalid local part
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
    `))

  it.live("malformed recipients get 501 5.1.3", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bo(b@example.test>
      <~ 501 5.1.3 Bad recipient address syntax:
      -> RCPT TO:<>
      <- 501 5.1.3 Error: Bad recipient address syntax
      -> RCPT TO:bob@example.test
      <- 501 5.1.3 Error: Bad recipient address syntax
    `))

  it.live("the null sender is accepted", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<>
      <- 250 2.1.0 Accepted
    `))

  it.live("a UTF-8 sender needs the SMTPUTF8 parameter", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<álice@sender.test>
      <- 553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter
      -> MAIL FROM:<álice@sender.test> SMTPUTF8
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bøb@example.test>
      <- 250 2.1.5 Accepted
    `))

  it.live("a UTF-8 recipient without SMTPUTF8 gets 553 5.6.7", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bøb@example.test>
      <- 553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter
    `))

  it.live("an IDN in A-label form is plain ASCII and needs no SMTPUTF8", () => {
    const seen: Array<string> = []
    return transcript([
      hooks("idn", {
        rcptTo: (_t, r) => Effect.sync(() => (seen.push(r.address.domain), Verdict.accept()))
      })
    ], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@xn--bcher-kva.test>
      <- 250 2.1.5 Accepted
    `).pipe(Effect.tap(() => Effect.sync(() => assert.deepStrictEqual(seen, ["xn--bcher-kva.test"]))))
  })

  it.live("<Postmaster> without a domain is accepted as postmaster@<hostname>", () =>
    transcript([acceptDomain("mx.test")], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<Postmaster>
      <- 250 2.1.5 Accepted
    `))

  it.live("quoted local parts with a space are accepted in MAIL FROM and RCPT TO (smtp-server's parser refused them)", () => {
    const rec = recorder()
    return transcript([acceptDomain("localhost"), rec.plugin], S`
      ${ehlo}
      -> MAIL FROM:<"john doe"@example.com> SIZE=20
      <- 250 2.1.0 Accepted
      -> RCPT TO:<"john doe"@localhost>
      <- 250 2.1.5 Accepted
      -> RCPT TO:<"a>b, c"@localhost>
      <- 250 2.1.5 Accepted
      -> DATA
      <~ 354
      => hi\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() =>
      Effect.sync(() => {
        const txn = rec.messages[0]?.txn
        assert.deepStrictEqual(txn?.mailFrom, { localPart: "john doe", domain: "example.com" })
        assert.deepStrictEqual(txn?.params.size, 20)
        assert.deepStrictEqual(txn?.recipients.map((r) => r.address), [
          { localPart: "john doe", domain: "localhost" },
          { localPart: "a>b, c", domain: "localhost" }
        ])
      })
    ))
  })

  it.live("unsafe or malformed quoted local parts are still refused", () =>
    transcript([acceptDomain("localhost")], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> SMTPUTF8
      <- 250 2.1.0 Accepted
      => RCPT TO:<"john\x01doe"@localhost>\r\n
      <~ 501
      -> RCPT TO:<"john${"\u200b"}doe"@localhost>
      <~ 501
      -> RCPT TO:<"john doe@localhost>
      <~ 501
      -> RCPT TO:<"john doe"@local host>
      <~ 501
      -> RCPT TO:<"john doe"@localhost>x
      <~ 501
      -> RCPT TO:<"john doe"@localhost> XFOO=1
      <- 555 5.5.4 Unsupported parameter XFOO
    `))

  it.live("client text smtp-server echoes in a reply is made printable ASCII (found by the fuzzer)", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> ${"\u00c9"}=1 ${"\u00c9"}=2
      <- 501 5.5.4 Error: duplicate ? parameter
    `))

  it.live("an unsupported ESMTP parameter gets 555 5.5.4", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> FOO=BAR
      <- 555 5.5.4 Unsupported parameter FOO
      -> MAIL FROM:<alice@sender.test> BODY=8BITMIME SIZE=100
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test> XFOO
      <- 555 5.5.4 Unsupported parameter XFOO
    `))

  it.live("ESMTP parameters reach the mailFrom hook as MailParams", () => {
    const seen: Array<unknown> = []
    return transcript([hooks("params", { mailFrom: (t) => Effect.sync(() => (seen.push(t.params), Verdict.next)) })], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> BODY=8BITMIME SIZE=1234 SMTPUTF8
      <- 250 2.1.0 Accepted
    `).pipe(Effect.tap(() =>
      Effect.sync(() => assert.deepStrictEqual(seen, [{ smtpUtf8: true, size: 1234, body: "8BITMIME" }]))
    ))
  })

  it.live("more recipients than the limit get 452 4.5.3", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<a@example.test>
      <- 250 2.1.5 Accepted
      -> RCPT TO:<b@example.test>
      <- 250 2.1.5 Accepted
      -> RCPT TO:<c@example.test>
      <- 452 4.5.3 Error: too many recipients
    `, { maxRecipients: 2 }))

  it.live("RSET ends the transaction", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RSET
      <- 250 2.0.0 Flushed
      -> RCPT TO:<bob@example.test>
      <- 503 5.5.1 Error: need MAIL command
    `))
})

describe("enhanced codes chosen by hooks reach the wire exactly", () => {
  it.live("mailFrom Reject 550 5.7.1", () =>
    transcript([hooks("sender-block", { mailFrom: () => Effect.succeed(Verdict.reject("5.7.1", "Sender blocked by policy")) })], S`
      ${ehlo}
      -> MAIL FROM:<spammer@sender.test>
      <- 550 5.7.1 Sender blocked by policy
    `))

  it.live("rcptTo Defer 451 4.7.1", () =>
    transcript([hooks("greylist", { rcptTo: () => Effect.succeed(Verdict.defer("4.7.1", "Greylisted, try again later")) })], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test>
      <- 451 4.7.1 Greylisted, try again later
    `))

  it.live("rcptTo Reject with another 5yz code (553 5.1.10)", () =>
    transcript([hooks("nullmx", { rcptTo: () => Effect.succeed(Verdict.reject("5.1.10", "Domain does not accept mail", { code: 556 })) })], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@nullmx.test>
      <- 556 5.1.10 Domain does not accept mail
    `))

  it.live("a Disconnect verdict answers 421 and closes the connection", () =>
    transcript([hooks("ratelimit", { mailFrom: () => Effect.succeed(Verdict.disconnect("4.7.0", "Too many connections from your network")) })], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 421 4.7.0 Too many connections from your network
      << closed
    `))

  it.live("a multi-line hook reply is written as continuation lines, code on each line", () =>
    transcript([hooks("explain", { mailFrom: () => Effect.succeed(Verdict.reject("5.7.1", "Blocked\nSee https://example.test/why")) })], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 550-5.7.1 Blocked
      <- 550 5.7.1 See https://example.test/why
    `))

  it.live("an Accept with its own reply replaces the default success reply", () =>
    transcript([hooks("vip", { rcptTo: () => Effect.succeed(Verdict.accept({ enhanced: "2.1.5", text: "Recipient OK, welcome" })) })], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test>
      <- 250 2.1.5 Recipient OK, welcome
      -> NOOP
      <- 250 2.0.0 OK
    `))

  it.live("a plugin that exceeds its timeout is answered 451 4.3.0", () =>
    transcript([hooks("slow", { rcptTo: () => Effect.sleep("2 seconds").pipe(Effect.as(Verdict.accept())) }, "50 millis")], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test>
      <- 451 4.3.0 Temporary local problem, please try again later
      -> NOOP
      <- 250 2.0.0 OK
    `))

  it.live("a defect in a hook is answered 451 4.3.0 and the session goes on", () =>
    transcript([hooks("buggy", { mailFrom: () => Effect.die(new Error("boom")) }), domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 451 4.3.0 Temporary local problem, please try again later
      -> NOOP
      <- 250 2.0.0 OK
    `))

  it.live("a hook that throws synchronously is answered 451 4.3.0", () =>
    transcript([hooks("thrower", { rcptTo: () => { throw new Error("sync boom") } })], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test>
      <- 451 4.3.0 Temporary local problem, please try again later
    `))

  it.live("library replies carry sensible enhanced codes", () =>
    transcript([domain], S`
      ${ehlo}
      -> DATA
      <- 503 5.5.1 Error: need RCPT command
      -> FOO
      <- 500 5.5.2 Error: command not recognized
      -> VRFY bob
      <- 252 2.1.5 Try to send something. No promises though
      -> QUIT
      <- 221 2.0.0 Bye
      << closed
    `))
})

describe("command lines", () => {
  it.live("a command line over 2048 octets gets 500 5.5.2 and the session stays usable", () =>
    transcript([domain], S`
      ${ehlo}
      -> NOOP ${"x".repeat(3000)}
      <- 500 5.5.2 Error: line too long
      -> MAIL FROM:<alice@sender.test> ${"SIZE=1 ".repeat(400)}
      <- 500 5.5.2 Error: line too long
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
    `))

  it.live("a line of exactly the limit is accepted", () =>
    transcript([domain], S`
      ${ehlo}
      -> NOOP ${"x".repeat(2048 - 5)}
      <- 250 2.0.0 OK
    `))

  it.live("the limit is configurable", () =>
    transcript([domain], S`
      ${ehlo}
      -> NOOP ${"x".repeat(600)}
      <- 500 5.5.2 Error: line too long
    `, { maxLineLength: 512 }))

  it.live("commands pipelined in one packet are answered in order", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      => MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\nRCPT TO:<nobody@else.test>\r\nDATA\r\n
      <- 250 2.1.0 Accepted
      <- 250 2.1.5 Accepted
      <- 550 5.7.1 Relaying denied
      <- 354 End data with <CR><LF>.<CR><LF>
      => Subject: pipelined\r\n\r\nbody\r\n.\r\nNOOP\r\n
      <~ 250 2.6.0 Message queued as
      <- 250 2.0.0 OK
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 1))))
  })
})
