/**
 * DATA: size, CRLF discipline, smuggling, 998-octet lines, Received and plugin headers, the queue hand-off.
 */
import { type Hooks, Plugin } from "@cartero/core"
import { Header, Verdict } from "@cartero/smtp"
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { acceptDomain, ehlo, envelope, hooks, recorder, storeWith, transcript } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")

/** A second, complete transaction, pipelined after the smuggling attempt. */
const smuggled = S`MAIL FROM:<evil@sender.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n\r\nSubject: smuggled\r\n\r\nowned\r\n`

describe("SMTP smuggling", () => {
  for (
    const [name, sequence, reason] of [
      ["<LF>.<LF>", S`\n.\n`, "LF"],
      ["<LF>.<CR><LF>", S`\n.\r\n`, "LF"],
      ["<CR>.<CR>", S`\r.\r`, "CR"],
      ["<CR><LF>.<LF>", S`\r\n.\n`, "LF"]
    ] as const
  ) {
    it.live(`${name} followed by a pipelined transaction: one message, refused for bare ${reason}, nothing stored`, () => {
      const rec = recorder()
      return transcript([domain, rec.plugin], S`
        ${ehlo}
        ${envelope}
        => Subject: test\r\n\r\nbody${sequence}${smuggled}.\r\n
        <- 550 5.6.0 Message contains bare ${reason}; RFC 5321 requires CRLF line endings
        -> NOOP
        <- 250 2.0.0 OK
        -> QUIT
        <- 221 2.0.0 Bye
      `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
    })
  }

  it.live("a bare LF in the header block is refused too", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: x\nX-Other: y\r\n\r\nbody\r\n.\r\n
      <- 550 5.6.0 Message contains bare LF; RFC 5321 requires CRLF line endings
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
  })

  it.live("a CR split from its LF across packets is fine", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: split\r
      ** sleep 30
      => \n\r\nbody\r
      ** sleep 30
      => \n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(Buffer.from(rec.messages[0]?.raw ?? []).toString(), "Subject: split\r\n\r\nbody\r\n")
    })))
  })

  it.live("after a refused message the session can send a clean one", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => bad\rline\r\n.\r\n
      <- 550 5.6.0 Message contains bare CR; RFC 5321 requires CRLF line endings
      ${envelope}
      => Subject: ok\r\n\r\nfine\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 1))))
  })
})

describe("size", () => {
  it.live("a declared SIZE over the limit gets 552 5.3.4 at MAIL", () =>
    transcript([domain], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test> SIZE=5000
      <- 552 5.3.4 Error: message exceeds fixed maximum message size 1000
      -> MAIL FROM:<alice@sender.test> SIZE=500
      <- 250 2.1.0 Accepted
    `, { maxMessageSize: 1000 }))

  it.live("a body over the limit gets 552 5.3.4 after DATA, nothing stored, session usable", () => {
    const rec = recorder()
    const line = "y".repeat(70)
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: big\r\n\r\n${`${line}\\r\\n`.repeat(40)}.\r\n
      <- 552 5.3.4 Message size exceeds fixed maximum message size 1000
      ${envelope}
      => Subject: small\r\n\r\nok\r\n.\r\n
      <~ 250 2.6.0
    `, { maxMessageSize: 1000 }).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(rec.messages.length, 1)
      assert.include(Buffer.from(rec.messages[0]?.raw ?? []).toString(), "Subject: small")
    })))
  })

  it.live("a body exactly at the limit is accepted", () => {
    const rec = recorder()
    // 14 + 984 + 2 = 1000 octets once unescaped
    const body = "Subject: x\\r\\n\\r\\n" + "z".repeat(1000 - 16) + "\\r\\n"
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => ${body}.\r\n
      <~ 250 2.6.0
    `, { maxMessageSize: 1000 }).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(rec.messages[0]?.raw.length, 1000)
    })))
  })
})

describe("large messages spill to disk", () => {
  it.live("a message over the spill threshold reaches the stores intact from its file; the file and the directory go away", () => {
    const parent = mkdtempSync(join(tmpdir(), "cartero-spill-parent-"))
    const seen: Array<{ tag: string; path: string | undefined; existsDuring: boolean }> = []
    const rec = recorder()
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} ${"z".repeat(70)}\\r\\n`).join("")
    const watcher = Plugin.make("watch", Effect.succeed<Hooks.Hooks>({
      message: (_txn, message) =>
        Effect.sync(() => {
          const path = message.data._tag === "Spilled" ? message.data.path : undefined
          seen.push({ tag: message.data._tag, path, existsDuring: path !== undefined && existsSync(path) })
          return Verdict.next
        })
    }))
    return transcript([domain, watcher, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: big\r\n\r\n${lines}.\r\n
      <~ 250 2.6.0
      ${envelope}
      => Subject: small\r\n\r\nok\r\n.\r\n
      <~ 250 2.6.0
    `, { spillThreshold: 16 * 1024, spillDir: parent }).pipe(
      Effect.tap(() => Effect.sync(() => {
        assert.deepStrictEqual(seen.map((s) => [s.tag, s.existsDuring]), [["Spilled", true], ["InMemory", false]])
        assert.strictEqual(Buffer.from(rec.messages[0]?.raw ?? []).toString(), `Subject: big\r\n\r\n${lines.replaceAll("\\r\\n", "\r\n")}`)
        assert.strictEqual(rec.messages[0]?.message.headers.get("subject"), "big")
        assert.isFalse(existsSync(seen[0]?.path ?? "/"), "the spill file is removed once the client is answered")
        assert.deepStrictEqual(readdirSync(parent), [], "the server's spill directory is removed when it stops")
      })),
      Effect.ensuring(Effect.sync(() => rmSync(parent, { recursive: true, force: true })))
    )
  })

  it.live("a header block longer than the spill threshold gets 552 5.3.4, nothing stored", () => {
    const rec = recorder()
    const fields = Array.from({ length: 300 }, (_, i) => `X-Field-${i}: ${"v".repeat(60)}\\r\\n`).join("")
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => ${fields}\r\nbody\r\n.\r\n
      <- 552 5.3.4 Message header exceeds 16384 octets
    `, { spillThreshold: 16 * 1024 }).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
  })
})

describe("mail loops", () => {
  const hops = (n: number) => Array.from({ length: n }, (_, i) => `Received: from hop${i}.test by x\\r\\n`).join("")

  it.live("a message that would carry more Received: fields than the limit gets 554 5.4.6, nothing stored", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => ${hops(3)}Subject: loop\r\n\r\nbody\r\n.\r\n
      <- 554 5.4.6 Too many hops: 3 Received: fields and the limit is 3; a mail loop?
      -> NOOP
      <- 250 2.0.0 OK
    `, { maxHops: 3 }).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
  })

  it.live("one hop fewer is accepted, RECEIVED: in any case counts, Received: in the body does not", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => ${hops(1)}RECEIVED: from other.test\r\nSubject: ok\r\n\r\n${hops(5)}.\r\n
      <~ 250 2.6.0
    `, { maxHops: 3 }).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 1))))
  })
})

describe("998-octet lines", () => {
  it.live("a line of 998 octets is accepted", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: x\r\n\r\n${"a".repeat(998)}\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 1))))
  })

  it.live("a line of 999 octets is refused with 550 5.6.0", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: x\r\n\r\n${"a".repeat(999)}\r\n.\r\n
      <- 550 5.6.0 Message contains a line longer than 998 octets (RFC 5322 2.1.1)
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
  })

  it.live("a long header line is refused too", () =>
    transcript([domain], S`
      ${ehlo}
      ${envelope}
      => Subject: ${"s".repeat(1200)}\r\n\r\nbody\r\n.\r\n
      <- 550 5.6.0 Message contains a line longer than 998 octets (RFC 5322 2.1.1)
    `))
})

describe("the message handed to the pipeline", () => {
  it.live("queue receives prepend + raw exactly: raw is the dot-unstuffed body with CRLF", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: dots\r\nFrom: alice@sender.test\r\n\r\n..leading dot\r\n...\r\nend\r\n.\r\n
      <~ 250 2.6.0 Message queued as
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const got = rec.messages[0]
      assert.isDefined(got)
      assert.strictEqual(
        Buffer.from(got?.raw ?? []).toString(),
        "Subject: dots\r\nFrom: alice@sender.test\r\n\r\n.leading dot\r\n..\r\nend\r\n"
      )
      assert.match(got?.message.prepend ?? "", /^Received: [^\n]+\r\n(\t[^\n]+\r\n)+$/)
      assert.strictEqual(got?.message.headers.get("subject"), "dots")
      assert.deepStrictEqual(got?.txn.recipients.map((r) => r.address), [{ localPart: "bob", domain: "example.test" }])
    })))
  })

  it.live("the Received header names helo, IP, host, protocol, id and the single recipient", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: r\r\n\r\nx\r\n.\r\n
      <~ 250 2.6.0 Message queued as
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const got = rec.messages[0]
      const id = got?.txn.id ?? "?"
      assert.match(
        got?.message.prepend ?? "",
        new RegExp(
          `^Received: from client\\.test \\(unknown \\[127\\.0\\.0\\.1\\]\\)\\r\\n` +
            `\\tby mx\\.test with ESMTP id ${id}\\r\\n` +
            `\\tfor <bob@example\\.test>; \\w{3}, \\d{1,2} \\w{3} \\d{4} \\d\\d:\\d\\d:\\d\\d \\+0000\\r\\n$`
        )
      )
    })))
  })

  it.live("with several recipients the Received header has no for clause", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test>
      <- 250 2.1.5 Accepted
      -> RCPT TO:<carol@example.test>
      <- 250 2.1.5 Accepted
      -> DATA
      <~ 354
      => x\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const prepend = rec.messages[0]?.message.prepend ?? ""
      assert.notInclude(prepend, " for ")
      assert.strictEqual(rec.messages[0]?.txn.recipients.length, 2)
    })))
  })

  it.live("headers from data and message verdicts are prepended, newest phase on top, above Received", () => {
    const rec = recorder()
    const seenInMessage: Array<string> = []
    return transcript([
      hooks("auth-results", {
        data: (t) =>
          Effect.succeed(Verdict.continueWith([
            Header.make("Authentication-Results", `mx.test; spf=pass rcpts=${t.recipients.length}`),
            Header.make("X-First", "1")
          ])),
        message: (_t, m) =>
          Effect.sync(() => (seenInMessage.push(m.prepend),
            Verdict.accept({ headers: [Header.make("X-Spam-Score", `0.1 subject=${m.headers.get("Subject") ?? "?"}`)] })))
      }),
      domain,
      rec.plugin
    ], S`
      ${ehlo}
      ${envelope}
      => Subject: hdrs\r\n\r\nx\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const prepend = rec.messages[0]?.message.prepend ?? ""
      const names = prepend.split("\r\n").filter((l) => /^\S/.test(l)).map((l) => l.split(":")[0])
      assert.deepStrictEqual(names, ["X-Spam-Score", "Authentication-Results", "X-First", "Received"])
      assert.include(prepend, "Authentication-Results: mx.test; spf=pass rcpts=1\r\n")
      assert.include(prepend, "X-Spam-Score: 0.1 subject=hdrs\r\n")
      assert.match(seenInMessage[0] ?? "", /^Authentication-Results: .*\r\nX-First: 1\r\nReceived: /s)
    })))
  })

  it.live("a data hook refusal answers the DATA command itself: no 354, no body, nothing stored", () => {
    const rec = recorder()
    return transcript([
      hooks("recipient-count", {
        data: (t) => Effect.succeed(t.recipients.length > 1 ? Verdict.reject("5.5.3", "Too many recipients", { code: 554 }) : Verdict.next)
      }),
      domain,
      rec.plugin
    ], S`
      ${ehlo}
      -> MAIL FROM:<alice@sender.test>
      <- 250 2.1.0 Accepted
      -> RCPT TO:<bob@example.test>
      <- 250 2.1.5 Accepted
      -> RCPT TO:<carol@example.test>
      <- 250 2.1.5 Accepted
      -> DATA
      <- 554 5.5.3 Too many recipients
      -> NOOP
      <- 250 2.0.0 OK
      -> RSET
      <- 250 2.0.0 Flushed
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
  })

  it.live("a message hook rejection is sent after the final dot and nothing is stored", () => {
    const rec = recorder()
    return transcript([
      hooks("content-filter", {
        message: (_t, m) => Effect.succeed(m.headers.get("Subject") === "spam" ? Verdict.reject("5.7.1", "Message content rejected", { code: 554 }) : Verdict.next)
      }),
      domain,
      rec.plugin
    ], S`
      ${ehlo}
      ${envelope}
      => Subject: spam\r\n\r\nbuy now\r\n.\r\n
      <- 554 5.7.1 Message content rejected
      -> NOOP
      <- 250 2.0.0 OK
    `).pipe(Effect.tap(() => Effect.sync(() => assert.strictEqual(rec.messages.length, 0))))
  })

  it.live("a message hook Defer is sent exactly (451 4.7.1)", () =>
    transcript([
      hooks("later", { message: () => Effect.succeed(Verdict.defer("4.7.1", "Try again later")) }),
      domain,
      recorder().plugin
    ], S`
      ${ehlo}
      ${envelope}
      => x\r\n.\r\n
      <- 451 4.7.1 Try again later
    `))

  it.live("without a queue plugin that accepts, the client gets 451 4.3.0", () =>
    transcript([domain], S`
      ${ehlo}
      ${envelope}
      => x\r\n.\r\n
      <- 451 4.3.0 Message could not be stored, please try again later
    `))

  it.live("a queue Accept with its own reply is sent as is", () =>
    transcript([
      domain,
      storeWith("store", (t) => Effect.succeed(Verdict.accept({ enhanced: "2.0.0", text: `Ok: queued as ${t.id.slice(0, 4)}` })))
    ], S`
      ${ehlo}
      ${envelope}
      => x\r\n.\r\n
      <- 250 2.0.0 Ok: queued as *
    `))

  it.live("a queue plugin timeout answers 451 4.3.0", () =>
    transcript([
      domain,
      storeWith("slow-store", () => Effect.sleep("2 seconds").pipe(Effect.as(Verdict.accept())), "50 millis")
    ], S`
      ${ehlo}
      ${envelope}
      => x\r\n.\r\n
      <- 451 4.3.0 Temporary local problem, please try again later
    `))

  it.live("two messages on one connection get distinct, increasing transaction ids", () => {
    const rec = recorder()
    return transcript([domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => one\r\n.\r\n
      <~ 250 2.6.0
      ** sleep 5
      ${envelope}
      => two\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const [a, b] = rec.messages.map((m) => m.txn.id)
      assert.isDefined(a)
      assert.notStrictEqual(a, b)
      assert.isTrue((a ?? "") < (b ?? ""))
    })))
  })
})
