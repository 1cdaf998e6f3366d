/**
 * Header-field removal (`HeaderEdits`) on the wire: hooks ask, the server removes after the `message` phase and
 * before `queue`, from a message in memory and from a spilled one, without rewriting the spill file.
 */
import { HeaderEdits, Message } from "@cartero/core"
import { Header, Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { acceptDomain, ehlo, envelope, hooks, recorder, transcript } from "./helpers.ts"

const S = String.raw
const domain = acceptDomain("example.test")
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString("latin1")

/** Removes `Authentication-Results:` fields of our authserv-id (`mx.test`) and adds its own, in one verdict. */
const authResults = hooks("auth-results", {
  message: (txn) =>
    Effect.gen(function*() {
      yield* HeaderEdits.remove(txn, { name: "Authentication-Results", matches: (v) => /^mx\.test\s*;/i.test(v) })
      return Verdict.continueWith([Header.make("Authentication-Results", "mx.test; dmarc=pass")])
    })
})

const forged = S`Authentication-Results: mx.test;\r\n\tdkim=pass header.d=bank.example\r\n` +
  S`Authentication-Results: other.example; spf=fail\r\n` +
  S`Subject: hi\r\nAUTHENTICATION-RESULTS: MX.TEST; spf=pass\r\n`

describe("header removal (HeaderEdits)", () => {
  it.live("in memory: forged fields go, others stay, the hook's own field is added; headers view and stored bytes agree", () => {
    const rec = recorder()
    const seenInMessage: Array<ReadonlyArray<string>> = []
    const watch = hooks("watch", {
      message: (_txn, m) => Effect.sync(() => (seenInMessage.push(m.headers.getAll("authentication-results")), Verdict.next))
    })
    return transcript([authResults, watch, domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => ${forged}\r\nbody\r\nAuthentication-Results: mx.test; in the body\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const got = rec.messages[0]
      assert.strictEqual(
        text(got?.raw),
        "Authentication-Results: other.example; spf=fail\r\nSubject: hi\r\n\r\nbody\r\nAuthentication-Results: mx.test; in the body\r\n"
      )
      assert.strictEqual(got?.message.data._tag, "InMemory")
      assert.deepStrictEqual(got?.message.headers.getAll("authentication-results"), ["other.example; spf=fail"])
      assert.match(got?.message.prepend ?? "", /^Authentication-Results: mx\.test; dmarc=pass\r\nReceived: /)
      // Every message hook saw the message as received.
      assert.strictEqual(seenInMessage[0]?.length, 3)
    })))
  })

  it.live("spilled: the file is not rewritten; the stores read the edited head, then the rest of the file", () => {
    const parent = mkdtempSync(join(tmpdir(), "cartero-edit-spill-"))
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i} ${"z".repeat(70)}\\r\\n`).join("")
    const block = forged.replaceAll("\\r\\n", "\r\n").replaceAll("\\t", "\t") + "\r\n"
    const body = lines.replaceAll("\\r\\n", "\r\n")
    const files: Array<{ readonly path: string; readonly content: string }> = []
    // A store that records the message, and looks at the spill file itself while it still exists.
    const rec = recorder((m) => {
      if (m.data._tag === "Spilled") files.push({ path: m.data.path, content: readFileSync(m.data.path, "latin1") })
    })
    return transcript([authResults, domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => ${forged}\r\n${lines}.\r\n
      <~ 250 2.6.0
    `, { spillThreshold: 16 * 1024, spillDir: parent }).pipe(
      Effect.tap(() =>
        Effect.sync(() => {
          const got = rec.messages[0]
          if (got === undefined) return assert.fail("nothing stored")
          const edited = "Authentication-Results: other.example; spf=fail\r\nSubject: hi\r\n\r\n"
          assert.strictEqual(text(got.raw), edited + body)
          const data = got.message.data
          if (data._tag !== "Spilled") return assert.fail("expected a spilled message")
          assert.strictEqual(data.head?.replaces, block.length)
          assert.strictEqual(text(data.head?.bytes), edited)
          assert.strictEqual(Message.dataSize(got.message), edited.length + body.length)
          assert.deepStrictEqual(got.message.headers.getAll("authentication-results"), ["other.example; spf=fail"])
          assert.strictEqual(got.message.headers.get("subject"), "hi")
          assert.strictEqual(files[0]?.content, block + body, "the spill file still holds the message as received")
          assert.isFalse(existsSync(files[0]?.path ?? "/"), "the spill file is removed once the client is answered")
        })
      ),
      Effect.ensuring(Effect.sync(() => rmSync(parent, { recursive: true, force: true })))
    )
  })

  it.live("where: added removes from prepend (a data-phase field, the Received field); the message verdict's own fields stay", () => {
    const rec = recorder()
    const plugin = hooks("privacy", {
      data: () => Effect.succeed(Verdict.continueWith([Header.make("X-Data-Phase", "drop me"), Header.make("X-Keep", "1")])),
      message: (txn) =>
        Effect.gen(function*() {
          yield* HeaderEdits.remove(txn, { name: "X-Data-Phase", where: "added" })
          yield* HeaderEdits.remove(txn, { name: "Received", where: "added", matches: (v) => v.includes(`id ${txn.id}`) })
          return Verdict.continueWith([Header.make("Received", `by mx.test id ${txn.id}`), Header.make("X-Data-Phase", "new")])
        })
    })
    return transcript([plugin, domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Received: from earlier.test by somewhere\r\nX-Data-Phase: received one stays\r\n\r\nbody\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const got = rec.messages[0]
      const id = got?.txn.id ?? "?"
      assert.strictEqual(got?.message.prepend, `Received: by mx.test id ${id}\r\nX-Data-Phase: new\r\nX-Keep: 1\r\n`)
      assert.strictEqual(text(got?.raw), "Received: from earlier.test by somewhere\r\nX-Data-Phase: received one stays\r\n\r\nbody\r\n")
    })))
  })

  it.live("where: both removes from the received block and from prepend; 8-bit octets are kept as sent", () => {
    const rec = recorder()
    const plugin = hooks("strip", {
      data: () => Effect.succeed(Verdict.continueWith([Header.make("X-Strip", "added")])),
      message: (txn) =>
        Effect.gen(function*() {
          yield* HeaderEdits.remove(txn, { name: "X-Strip", where: "both" })
          yield* HeaderEdits.remove(txn, { name: "X-Absent", where: "both" })
        }).pipe(Effect.as(Verdict.next))
    })
    const message = Buffer.concat([
      Buffer.from("Subject: caf"),
      Buffer.from([0xe9]),
      Buffer.from("\r\nX-Strip: received\r\n\r\n\u00e9t\u00e9\r\n", "utf8")
    ])
    // Sent octet for octet: `\xHH` escapes for everything outside printable ASCII.
    const raw = [...message].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("")
    return transcript([plugin, domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => ${raw}.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() =>
      Effect.gen(function*() {
        const got = rec.messages[0]
        if (got === undefined) return assert.fail("nothing stored")
        const expected = Buffer.concat([Buffer.from("Subject: caf"), Buffer.from([0xe9]), Buffer.from("\r\n\r\n\u00e9t\u00e9\r\n", "utf8")])
        assert.isTrue(Buffer.from(got.raw).equals(expected), text(got.raw))
        assert.notInclude(got.message.prepend, "X-Strip")
        const all = yield* Stream.runCollect(Message.streamAll(got.message))
        assert.isTrue(Buffer.concat(all).equals(Buffer.concat([Buffer.from(got.message.prepend), expected])))
      })
    ))
  })

  it.live("nothing is copied when no field matches: the store gets the very bytes that were received", () => {
    const rec = recorder()
    const seen: Array<Uint8Array> = []
    const plugin = hooks("no-match", {
      message: (txn, m) =>
        Effect.gen(function*() {
          if (m.data._tag === "InMemory") seen.push(m.data.bytes)
          yield* HeaderEdits.remove(txn, { name: "Bcc" })
          return Verdict.next
        })
    })
    return transcript([plugin, domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: x\r\n\r\nbody\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      const data = rec.messages[0]?.message.data
      assert.strictEqual(data?._tag === "InMemory" ? data.bytes : undefined, seen[0])
    })))
  })

  it.live("a refused message is not edited, nothing is stored; the next transaction starts with no requests", () => {
    const rec = recorder()
    const plugin = hooks("refuse-first", {
      message: (txn, m) =>
        Effect.gen(function*() {
          if (m.headers.get("subject") === "first") {
            yield* HeaderEdits.remove(txn, { name: "Subject" })
            return Verdict.reject("5.7.1", "No")
          }
          return Verdict.next
        })
    })
    return transcript([plugin, domain, rec.plugin], S`
      ${ehlo}
      ${envelope}
      => Subject: first\r\n\r\nx\r\n.\r\n
      <- 550 5.7.1 No
      ${envelope}
      => Subject: second\r\n\r\nx\r\n.\r\n
      <~ 250 2.6.0
    `).pipe(Effect.tap(() => Effect.sync(() => {
      assert.strictEqual(rec.messages.length, 1)
      assert.strictEqual(text(rec.messages[0]?.raw), "Subject: second\r\n\r\nx\r\n")
    })))
  })
})
