/**
 * CHUNKING / BDAT (RFC 3030) and BINARYMIME, pinned with transcripts against a real server on 127.0.0.1: each
 * client line (or raw write) and the exact reply. The chunk octets are written raw (`=>`), so what a test sends is
 * exactly what the server reads, pipelined or split across writes as written.
 */
import { Message, type Session, Store } from "@cartero/core"
import { Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as net from "node:net"
import { acceptDomain, bdat, ehlo, esc, hooks, recorder, transcript, withServer } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")

/** Escapes octets for a transcript's `=>` line. */
const mailRcpt = S`
  -> MAIL FROM:<alice@sender.test>
  <- 250 2.1.0 Accepted
  -> RCPT TO:<bob@example.test>
  <- 250 2.1.5 Accepted`

const message = "Subject: chunked\r\n\r\nfirst part, \r\nsecond part\r\n"
const stored = (rec: ReturnType<typeof recorder>, index = 0) => Buffer.from(rec.messages[index]?.raw ?? []).toString("latin1")
const body = (raw: string) => raw.slice(raw.indexOf("Subject:"))

describe("EHLO", () => {
  it.live("lists CHUNKING on the MX listener", () =>
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

  it.live("lists BINARYMIME after CHUNKING when it is enabled", () =>
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
      <- 250-CHUNKING
      <- 250 BINARYMIME
    `, { binaryMime: true }))

  it.live("with CHUNKING off: neither keyword, and BDAT is an unknown command", () =>
    transcript([domain], S`
      ${ehlo}
      <! CHUNKING
      <! BINARYMIME
      -> BDAT 0 LAST
      <- 500 5.5.2 Error: command not recognized
    `, { chunking: false, binaryMime: true }))

  it.live("BINARYMIME is not offered without CHUNKING, and BODY=BINARYMIME is refused without it", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> BODY=BINARYMIME
      <- 501 5.5.4 Invalid BODY parameter value. Must be 7BIT or 8BITMIME
    `))
})

describe("BDAT", () => {
  it.live("one LAST chunk is a message: the same reply as DATA, stored exactly as sent", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat(message, true))}
      <~ 250 2.6.0 Message queued as
    `).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(rec.messages.length, 1)
      assert.strictEqual(body(stored(rec)), message)
      assert.match(rec.messages[0]?.message.prepend ?? "", /^Received: from client\.test/)
    })))
  })

  it.live("several chunks: each answered `250 2.0.0 <n> octets received`, LAST queues the whole", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat("Subject: chunked\r\n\r\nfirst part, "))}
      <- 250 2.0.0 32 octets received
      => ${esc(bdat("\r\nsecond part\r\n"))}
      <- 250 2.0.0 15 octets received
      -> BDAT 0 LAST
      <~ 250 2.6.0 Message queued as
      -> MAIL FROM:<carol@sender.test>
      <- 250 2.1.0 Accepted
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(body(stored(rec)), message))))
  })

  it.live("pipelined: MAIL, RCPT, every chunk and QUIT in one write, replies in order", () => {
    const rec = recorder()
    const all = "MAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\n" +
      bdat("Subject: chunked\r\n\r\nfirst") + bdat(" part, \r\nsecond part\r\n") + "BDAT 0 LAST\r\nQUIT\r\n"
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      => ${esc(all)}
      <- 250 2.1.0 Accepted
      <- 250 2.1.5 Accepted
      <- 250 2.0.0 25 octets received
      <- 250 2.0.0 22 octets received
      <~ 250 2.6.0 Message queued as
      <- 221 2.0.0 Bye
      << closed
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(body(stored(rec)), message))))
  })

  it.live("a chunk straddling TCP packets, and its command line split too", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => BDAT 4
      ** sleep 50
      => 7 LAST\r\nSubject: chunked\r\n\r\nfir
      ** sleep 50
      => st part, \r
      ** sleep 50
      => \nsecond part\r\n
      <~ 250 2.6.0 Message queued as
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(body(stored(rec)), message))))
  })

  it.live("BDAT 0 LAST alone is a valid (empty) message", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      -> BDAT 0 LAST
      <~ 250 2.6.0 Message queued as
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 1))))
  })

  it.live("leading zeros are digits: BDAT 007 LAST reads 7 octets", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => BDAT 007 LAST\r\nX: yz\r\nNOOP\r\n
      <~ 250 2.6.0 Message queued as
      <- 250 2.0.0 OK
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(stored(rec), "X: yz\r\n"))))
  })

  it.live("hostile sizes and arguments: 501 5.5.4, and the session goes on", () =>
    transcript([domain], S`
      ${ehlo}
      ${mailRcpt}
      -> BDAT -5
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> BDAT +5
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> BDAT abc
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> BDAT 0x10
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> BDAT 1.5
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> BDAT
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> BDAT 5 NOTLAST
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> BDAT 5 LAST more
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> BDAT ５ LAST
      <- 501 5.5.4 Syntax: BDAT chunk-size [LAST]
      -> NOOP
      <- 250 2.0.0 OK
    `))

  it.live("a huge size: everything after it is chunk data until the DATA time bound ends the session", () =>
    transcript([domain], S`
      ${ehlo}
      ${mailRcpt}
      => BDAT 99999999999999999999999999999999 LAST\r\nNOOP\r\nQUIT\r\n
      ** timeout 5000
      <- 421 4.4.2 Error: timeout exceeded while receiving the message, closing connection
      << closed
    `, { dataTimeout: "600 millis" }))

  it.live("without MAIL: 503 5.5.1, and the chunk is read and discarded (a command inside it is not run)", () =>
    transcript([domain], S`
      ${ehlo}
      => ${esc(bdat("MAIL FROM:<evil@sender.test>\r\n"))}
      <- 503 5.5.1 Error: need MAIL command
      -> NOOP
      <- 250 2.0.0 OK
      => BDAT 6 LAST\r\nQUIT\r\nNOOP\r\n
      <- 503 5.5.1 Error: need MAIL command
      <- 250 2.0.0 OK
    `))

  it.live("a refused chunk that arrives slowly is read to its end (the DATA bound counts from its BDAT)", () =>
    transcript([domain], S`
      ${ehlo}
      => BDAT 8\r\nNOOP
      ** sleep 1200
      => NOOPNOOP\r\n
      <- 503 5.5.1 Error: need MAIL command
      <- 250 2.0.0 OK
    `))

  it.live("without RCPT: 503 5.5.1 need RCPT, chunk discarded", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      => BDAT 4 LAST\r\nNOOPNOOP\r\n
      <- 503 5.5.1 Error: need RCPT command
      <- 250 2.0.0 OK
    `))

  it.live("before EHLO: 503 5.5.1, chunk discarded", () =>
    transcript([domain], S`
      <- 220 *
      => BDAT 4 LAST\r\nNOOPNOOP\r\n
      <- 503 5.5.1 Error: send HELO/EHLO first
      <- 250 2.0.0 OK
    `))

  it.live("size limit over the running total: 552 5.3.4 after the chunk is read, the transaction is over", () => {
    const rec = recorder()
    const filler = "X".repeat(60)
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat(`Subject: big\r\n\r\n${filler}`))}
      <- 250 2.0.0 76 octets received
      => ${esc(bdat(`${filler}\r\n`))}
      <- 552 5.3.4 Message size exceeds fixed maximum message size 100
      => ${esc(bdat("more\r\n", true))}
      <- 503 5.5.1 Error: need MAIL command
      -> NOOP
      <- 250 2.0.0 OK
    `, { maxMessageSize: 100 }).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
  })

  it.live("a single chunk over the limit is read in full and refused", () =>
    transcript([domain], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat(`Subject: big\r\n\r\n${"Y".repeat(200)}\r\n`, true))}NOOP\r\n
      <- 552 5.3.4 Message size exceeds fixed maximum message size 100
      <- 250 2.0.0 OK
    `, { maxMessageSize: 100 }))

  it.live("DATA after BDAT in one transaction: 503 5.5.1, the transfer goes on", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat("Subject: chunked\r\n\r\nfirst part, "))}
      <- 250 2.0.0 32 octets received
      -> DATA
      <- 503 5.5.1 Error: DATA cannot follow BDAT in one transaction
      => ${esc(bdat("\r\nsecond part\r\n", true))}
      <~ 250 2.6.0 Message queued as
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(body(stored(rec)), message))))
  })

  it.live("RSET between chunks drops the transfer: the next chunk has no transaction", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat("Subject: chunked\r\n\r\nfirst part, "))}
      <- 250 2.0.0 32 octets received
      -> RSET
      <- 250 2.0.0 Flushed
      => ${esc(bdat("\r\nsecond part\r\n", true))}
      <- 503 5.5.1 Error: need MAIL command
      ${mailRcpt}
      => ${esc(bdat(message, true))}
      <~ 250 2.6.0 Message queued as
    `).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(rec.messages.length, 1)
      assert.strictEqual(body(stored(rec)), message)
    })))
  })

  it.live("no end-of-data sequence: a smuggled `.` line and commands stay inside the one message", () => {
    const rec = recorder()
    const payload = "Subject: s\r\n\r\nhi\r\n.\r\nMAIL FROM:<evil@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nx\r\n.\r\n"
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat(payload, true))}
      <~ 250 2.6.0 Message queued as
      -> NOOP
      <- 250 2.0.0 OK
    `).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(rec.messages.length, 1)
      assert.strictEqual(body(stored(rec)), payload)
    })))
  })

  it.live("no dot-unstuffing: a leading `..` is kept as sent", () => {
    const rec = recorder()
    const payload = "Subject: s\r\n\r\n..two dots\r\n.\r\n"
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat(payload, true))}
      <~ 250 2.6.0 Message queued as
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(body(stored(rec)), payload))))
  })

  it.live("a bare LF is refused at the chunk that carries it (550 5.6.0), the rest of the transaction with 503", () =>
    transcript([domain], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat("Subject: s\r\n\r\nbare\nLF\r\n"))}
      <- 550 5.6.0 Message contains bare LF; RFC 5321 requires CRLF line endings
      => ${esc(bdat("end\r\n", true))}
      <- 503 5.5.1 Error: need MAIL command
    `))

  it.live("CRLF split between two chunks is fine; a CR ending one chunk and not followed by LF is a bare CR", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat("Subject: s\r\n\r\nline\r"))}
      <- 250 2.0.0 19 octets received
      => ${esc(bdat("\nnext\r\n", true))}
      <~ 250 2.6.0 Message queued as
      ${mailRcpt}
      => ${esc(bdat("Subject: s\r\n\r\nline\r"))}
      <- 250 2.0.0 19 octets received
      => ${esc(bdat("next\r\n", true))}
      <- 550 5.6.0 Message contains bare CR; RFC 5321 requires CRLF line endings
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(body(stored(rec)), "Subject: s\r\n\r\nline\r\nnext\r\n"))))
  })

  it.live("the data hook runs once, before the first chunk is taken; its refusal discards the chunk", () => {
    let calls = 0
    const refuse = hooks("no-data", {
      data: () => Effect.sync(() => {
        calls++
        return Verdict.reject("5.7.1", "No thanks")
      })
    })
    return transcript([domain, refuse], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat("Subject: s\r\n\r\n"))}NOOP\r\n
      <- 550 5.7.1 No thanks
      <- 250 2.0.0 OK
      => ${esc(bdat("x\r\n", true))}
      <- 503 5.5.1 Error: need MAIL command
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(calls, 1))))
  })

  it.live("message and queue hooks see the whole message after LAST; a message-phase refusal is the LAST reply", () => {
    const seen: Array<string> = []
    const check = hooks("message-check", {
      message: (_txn, msg) => Effect.sync(() => {
        seen.push(msg.headers.get("subject") ?? "")
        return Verdict.reject("5.7.1", "Content refused", { code: 554 })
      })
    })
    return transcript([domain, check], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat("Subject: hello\r\n"))}
      <- 250 2.0.0 16 octets received
      => ${esc(bdat("\r\nbody\r\n", true))}
      <- 554 5.7.1 Content refused
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
    `).pipe(Effect.tap(() => Effect.sync(() => assert.deepStrictEqual(seen, ["hello"]))))
  })

  it.live("a client that stops in the middle of a chunk gets the idle timeout", () =>
    transcript([domain], S`
      ${ehlo}
      ${mailRcpt}
      => BDAT 100 LAST\r\nSubject: s\r\n
      ** timeout 5000
      <- 421 4.4.2 Timeout - closing connection
      << closed
    `, { socketTimeout: "500 millis" }))

  it.live("a message larger than the spill threshold goes through the spill file and is stored whole", () => {
    const rec = recorder()
    const line = `${"z".repeat(70)}\r\n`
    const big = `Subject: big\r\n\r\n${line.repeat(1000)}`
    const half = Math.floor(big.length / 2)
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${mailRcpt}
      => ${esc(bdat(big.slice(0, half)))}
      <- 250 2.0.0 ${half} octets received
      => ${esc(bdat(big.slice(half), true))}
      <~ 250 2.6.0 Message queued as
    `, { spillThreshold: 16 * 1024 }).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(rec.messages[0]?.message.data._tag, "Spilled")
      assert.strictEqual(body(stored(rec)), big)
    })))
  })
})

describe("BINARYMIME", () => {
  it.live("BODY=BINARYMIME then DATA: 503 5.5.1", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> BODY=BINARYMIME
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test>
      <- 250 2.1.5 Accepted
      -> DATA
      <- 503 5.5.1 Error: BODY=BINARYMIME requires BDAT, not DATA
    `, { binaryMime: true }))

  it.live("BODY=BINARYMIME by BDAT: bare LF, bare CR, NUL and long lines are stored as sent", () => {
    const rec = recorder()
    const payload = `Subject: bin\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\n\r\xff${"b".repeat(2000)}\r`
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> BODY=BINARYMIME
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test>
      <- 250 2.1.5 Accepted
      => ${esc(bdat(payload.slice(0, 60)))}
      <- 250 2.0.0 60 octets received
      => ${esc(bdat(payload.slice(60), true))}
      <~ 250 2.6.0 Message queued as
    `, { binaryMime: true }).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(body(stored(rec)), payload)
      assert.strictEqual(rec.messages[0]?.txn.params.body, "BINARYMIME")
    })))
  })
})

describe("BDAT and the client going away", () => {
  it.live("a client that disconnects right after LAST: the message is still stored, as after DATA", () => {
    const stored: Array<number> = []
    // The stores read the message after the client left: a spilled one must still be there.
    const slowStore = hooks("slow-store", {
      queue: Store.make({
        takes: () => Effect.succeed(true),
        prepare: (txn: Session.Transaction) => Effect.succeed(txn),
        write: (_txn, msg) =>
          Effect.sleep("300 millis").pipe(
            Effect.andThen(Effect.orDie(Message.bytes(msg))),
            Effect.map((raw) => {
              stored.push(raw.length)
              return Verdict.accept()
            })
          ),
        undo: () => Effect.void
      })
    })
    const big = `Subject: big\r\n\r\n${`${"q".repeat(98)}\r\n`.repeat(400)}`
    return withServer([domain, slowStore], { spillThreshold: 16 * 1024 }, (server) =>
      Effect.gen(function*() {
        const mx = server.address("mx")
        if (mx === undefined) return yield* Effect.die(new Error("no MX listener"))
        yield* Effect.callback<void>((resume) => {
          const socket = net.connect(mx.port, mx.host)
          let seen = ""
          socket.on("data", (d: Buffer) => {
            seen += d.toString("latin1")
            if (seen.startsWith("220 ") && !seen.includes("EHLO-SENT")) {
              seen += "EHLO-SENT"
              socket.write(`EHLO client.test\r\nMAIL FROM:<alice@sender.test>\r\nRCPT TO:<bob@example.test>\r\n${bdat(big, true)}`)
            }
            // The recipient was accepted, so the chunk is being read: leave without waiting for its reply.
            if (seen.includes("250 2.1.5")) socket.destroy()
          })
          socket.on("close", () => resume(Effect.void))
          socket.on("error", () => undefined)
        })
        for (let i = 0; i < 60 && stored.length === 0; i++) yield* Effect.sleep("50 millis")
        assert.deepStrictEqual(stored, [big.length])
      }))
  })
})
