import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, type Scope } from "effect"
import type { HttpServer } from "effect/http"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { ApiServer } from "../src/index.ts"
import { request, server, tmpDir } from "./support.ts"

/** Writes a message as the maildir plugin would: `<root>/<domain>/<local>/Maildir/<sub>/<name>`. */
const deliver = (root: string, domain: string, local: string, name: string, message: string | Uint8Array, sub = "new") => {
  const dir = Path.join(root, domain, local, "Maildir")
  for (const d of ["tmp", "new", "cur"]) Fs.mkdirSync(Path.join(dir, d), { recursive: true })
  Fs.writeFileSync(Path.join(dir, sub, name), message)
  return Buffer.from(name.split(":")[0] ?? name).toString("base64url")
}

const crlf = (lines: ReadonlyArray<string>) => `${lines.join("\r\n")}\r\n`

const latin1 = crlf([
  "From: =?UTF-8?B?w4FsdmFybyBQw6lyZXo=?= <alvaro@example.com>",
  "To: Bob <bob@localhost>, carol@localhost",
  "Cc: =?ISO-8859-1?Q?J=F6rg?= <joerg@example.com>",
  "Subject: =?ISO-8859-1?Q?Caf=E9_cr=E8me?= and more",
  "Date: Tue, 01 Dec 2026 10:00:00 +0000",
  "MIME-Version: 1.0",
  "Content-Type: text/plain; charset=iso-8859-1",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "Caf=E9 cr=E8me, s'il vous pla=EEt."
])

const pdf = Uint8Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)
const withAttachment = crlf([
  "From: Alice <alice@example.com>",
  "To: bob@localhost",
  "Subject: the report",
  "Date: Wed, 02 Dec 2026 10:00:00 +0000",
  "MIME-Version: 1.0",
  "Content-Type: multipart/mixed; boundary=b1",
  "",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "See the attached report.",
  "--b1",
  "Content-Type: application/pdf; name=\"r\u00e9port.pdf\"",
  "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9port.pdf",
  "Content-Transfer-Encoding: base64",
  "",
  ...(Buffer.from(pdf).toString("base64").match(/.{1,76}/g) ?? []),
  "--b1--"
])

const hostileHtml = [
  `<p onclick="steal()">Hello <b>Bob</b></p>`,
  `<script>alert(1)</script>`,
  `<img src="x" onerror="alert(2)">`,
  `<a href="javascript:alert(3)">click</a>`,
  `<a href="https://example.com/ok">fine</a>`,
  `<svg><script>alert(4)</script></svg>`,
  `<meta http-equiv="refresh" content="0;url=https://evil.test/">`,
  `<img src="https://tracker.test/pixel.gif" alt="pixel">`,
  `<link rel="stylesheet" href="https://evil.test/x.css">`,
  `<style>body { background: url(https://evil.test/bg.png) }</style>`,
  `<div style="background-image: url('https://evil.test/bg2.png'); color: red">styled</div>`,
  `<iframe src="https://evil.test/"></iframe><form action="https://evil.test/"><input name="p"></form><object data="x"></object>`,
  `<img src="cid:logo@x" alt="logo">`
].join("\n")

const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])
const htmlMessage = crlf([
  "From: Mallory <mallory@evil.test>",
  "To: bob@localhost",
  "Subject: hostile",
  "Date: Thu, 03 Dec 2026 10:00:00 +0000",
  "MIME-Version: 1.0",
  "Content-Type: multipart/related; boundary=r1",
  "",
  "--r1",
  "Content-Type: text/html; charset=utf-8",
  "",
  hostileHtml,
  "--r1",
  "Content-Type: image/png",
  "Content-ID: <logo@x>",
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.from(png).toString("base64"),
  "--r1--"
])

/** Runs `body` against a server whose Maildir root is a fresh directory. */
const withRoot = <A, E>(body: (root: string) => Effect.Effect<A, E, HttpServer.HttpServer | Scope.Scope>) =>
  Effect.scoped(Effect.gen(function*() {
    const root = yield* tmpDir
    return yield* body(root).pipe(Effect.provide(server("none", undefined, root)))
  }))

type Page = { messages: ReadonlyArray<{ id: string; subject: string; seen: boolean }>; total: number; next?: string }
const page = (body: unknown) => body as Page
const bob = "/api/mailboxes/bob%40localhost"

describe("mailboxes", () => {
  it.live("lists mailboxes with counts, sorted; an empty root has none", () =>
    withRoot((root) =>
      Effect.gen(function*() {
        assert.deepStrictEqual((yield* request("/api/mailboxes")).json(), { mailboxes: [] })
        deliver(root, "localhost", "bob", "1764583200.M1P1Q1.h,S=10", latin1)
        deliver(root, "localhost", "bob", "1764583201.M1P1Q2.h,S=10:2,S", latin1, "cur")
        deliver(root, "example.org", "alice", "1764583202.M1P1Q3.h,S=10", latin1)
        deliver(root, "localhost", "%2Eodd%20name", "1764583203.M1P1Q4.h,S=10", latin1)
        // Not the plugin's: skipped.
        Fs.mkdirSync(Path.join(root, "localhost", "bad%zz", "Maildir", "new"), { recursive: true })
        Fs.writeFileSync(Path.join(root, "stray-file"), "x")
        const list = yield* request("/api/mailboxes")
        assert.strictEqual(list.status, 200)
        assert.deepStrictEqual(list.json(), {
          mailboxes: [
            { address: ".odd name@localhost", messages: 1, unread: 1 },
            { address: "alice@example.org", messages: 1, unread: 1 },
            { address: "bob@localhost", messages: 2, unread: 1 }
          ]
        })
        const odd = yield* request(`/api/mailboxes/${encodeURIComponent(".odd name@localhost")}/messages`)
        assert.strictEqual(page(odd.json()).total, 1)
      })))

  it.live("pages newest first by arrival; search terms; bad queries are 400", () =>
    withRoot((root) =>
      Effect.gen(function*() {
        const ids: Array<string> = []
        for (let i = 0; i < 7; i++) {
          const date = `Date: ${new Date(Date.UTC(2026, 11, 1 + i, 12)).toUTCString()}`
          ids.push(deliver(root, "localhost", "bob", `${1764583200 + i * 86400}.M${i}P9Q${i}.h,S=1`, crlf([
            `From: ${i % 2 === 0 ? "Alice <alice@example.com>" : "Carol <carol@example.net>"}`,
            `To: bob@localhost${i === 3 ? ", Dave <dave@example.com>" : ""}`,
            `Subject: number ${i}${i === 5 ? " =?UTF-8?Q?=C3=BCber?=" : ""}`,
            date,
            "",
            `text ${i}`
          ])))
        }
        const newest = [...ids].reverse()
        const first = page((yield* request(`${bob}/messages?limit=3`)).json())
        assert.strictEqual(first.total, 7)
        assert.deepStrictEqual(first.messages.map((m) => m.id), newest.slice(0, 3))
        const second = page((yield* request(`${bob}/messages?limit=3&cursor=${first.next ?? ""}`)).json())
        assert.deepStrictEqual(second.messages.map((m) => m.id), newest.slice(3, 6))
        const third = page((yield* request(`${bob}/messages?limit=3&cursor=${second.next ?? ""}`)).json())
        assert.deepStrictEqual(third.messages.map((m) => m.id), newest.slice(6))
        assert.isUndefined(third.next)
        assert.strictEqual(page((yield* request(`${bob}/messages`)).json()).messages.length, 7)

        const search = (q: string) => Effect.map(request(`${bob}/messages?search=${encodeURIComponent(q)}`), (r) => page(r.json()))
        assert.deepStrictEqual((yield* search("from:carol")).messages.map((m) => m.subject), ["number 5 über", "number 3", "number 1"])
        assert.strictEqual((yield* search("from:carol")).total, 3)
        assert.deepStrictEqual((yield* search("ÜBER")).messages.map((m) => m.id), [ids[5]])
        assert.deepStrictEqual((yield* search("to:dave")).messages.map((m) => m.id), [ids[3]])
        assert.deepStrictEqual((yield* search("subject:\"number 2\"")).messages.map((m) => m.id), [ids[2]])
        assert.deepStrictEqual((yield* search("after:2026-12-06")).messages.map((m) => m.id), [ids[6], ids[5]])
        assert.deepStrictEqual((yield* search("before:2026-12-02")).messages.map((m) => m.id), [ids[0]])
        assert.deepStrictEqual((yield* search("alice after:2026-12-03 before:2026-12-06")).messages.map((m) => m.id), [ids[4], ids[2]])
        const paged = page((yield* request(`${bob}/messages?search=alice&limit=2`)).json())
        assert.strictEqual(paged.total, 4)
        const pagedNext = page((yield* request(`${bob}/messages?search=alice&limit=2&cursor=${paged.next ?? ""}`)).json())
        assert.deepStrictEqual([...paged.messages, ...pagedNext.messages].map((m) => m.id), [ids[6], ids[4], ids[2], ids[0]])

        for (const bad of ["before:yesterday", "after:2026-02-30"]) {
          const r = yield* request(`${bob}/messages?search=${encodeURIComponent(bad)}`)
          assert.strictEqual(r.status, 400, bad)
          assert.strictEqual((r.json() as { _tag: string; parameter: string })._tag, "InvalidQuery")
        }
        for (const bad of ["limit=0", "limit=501", "limit=x", "cursor=..%2F..", "cursor=%2F"]) {
          const r = yield* request(`${bob}/messages?${bad}`)
          assert.strictEqual(r.status, 400, bad)
          assert.strictEqual((r.json() as { parameter: string }).parameter, bad.split("=")[0])
        }
      })))

  it.live("a message view: decoded headers and charsets, cc, parts; raw and attachment bytes", () =>
    withRoot((root) =>
      Effect.gen(function*() {
        const a = deliver(root, "localhost", "bob", "1764583200.M1P1Q1.h,S=10", latin1)
        const b = deliver(root, "localhost", "bob", "1764583300.M1P1Q2.h,S=10", withAttachment)
        const list = page((yield* request(`${bob}/messages`)).json())
        const summary = list.messages.find((m) => m.id === a) as unknown as Record<string, unknown>
        assert.deepInclude(summary, {
          id: a,
          mailbox: "bob@localhost",
          from: "Álvaro Pérez <alvaro@example.com>",
          to: ["Bob <bob@localhost>", "carol@localhost"],
          subject: "Café crème and more",
          date: "2026-12-01T10:00:00.000Z",
          receivedAt: new Date(1764583200 * 1000).toISOString(),
          size: Buffer.byteLength(latin1),
          seen: false,
          attachments: 0,
          snippet: "Café crème, s'il vous plaît."
        })
        const view = (yield* request(`${bob}/messages/${a}`)).json() as {
          cc: Array<string>
          headers: Array<{ name: string; value: string }>
          text: string
          html?: string
          parts: Array<unknown>
        }
        assert.deepStrictEqual(view.cc, ["Jörg <joerg@example.com>"])
        assert.deepInclude(view.headers, { name: "Subject", value: "Café crème and more" })
        assert.strictEqual(view.headers[0]?.name, "From")
        assert.strictEqual(view.text, "Café crème, s'il vous plaît.\n")
        assert.isUndefined(view.html)
        assert.deepStrictEqual(view.parts, [{ index: 0, contentType: "text/plain", size: 30, disposition: "inline" }])

        const withPdf = (yield* request(`${bob}/messages/${b}`)).json() as { text: string; attachments: number; parts: Array<Record<string, unknown>> }
        assert.strictEqual(withPdf.attachments, 1)
        assert.deepStrictEqual(withPdf.parts[1], { index: 1, contentType: "application/pdf", filename: "réport.pdf", size: pdf.byteLength, disposition: "attachment" })
        const download = yield* request(`${bob}/messages/${b}/parts/1`)
        assert.strictEqual(download.status, 200)
        assert.deepStrictEqual(download.bytes, pdf)
        assert.strictEqual(download.headers.get("content-type"), "application/pdf")
        assert.strictEqual(download.headers.get("content-disposition"), `attachment; filename="r_port.pdf"; filename*=UTF-8''r%C3%A9port.pdf`)
        assert.strictEqual(download.headers.get("x-content-type-options"), "nosniff")
        assert.strictEqual(download.headers.get("content-security-policy"), "sandbox; default-src 'none'")
        const raw = yield* request(`${bob}/messages/${b}/raw`)
        assert.strictEqual(raw.status, 200)
        assert.strictEqual(raw.headers.get("content-type"), "message/rfc822")
        assert.match(raw.headers.get("content-disposition") ?? "", /^attachment; filename=".+\.eml"/)
        assert.deepStrictEqual(raw.bytes, new Uint8Array(Buffer.from(withAttachment)))
        assert.strictEqual((yield* request(`${bob}/messages/${b}/parts/2`)).status, 404)
        assert.strictEqual((yield* request(`${bob}/messages/${b}/parts/-1`)).status, 404)
        assert.strictEqual((yield* request(`${bob}/messages/${b}/parts/x`)).status, 404)
      })))

  it.live("hostile HTML is sanitised; cid: images point at their part, served inline and inert", () =>
    withRoot((root) =>
      Effect.gen(function*() {
        const id = deliver(root, "localhost", "bob", "1764583200.M1P1Q1.h,S=10", htmlMessage)
        const view = (yield* request(`${bob}/messages/${id}`)).json() as { html: string; parts: Array<Record<string, unknown>>; attachments: number }
        const html = view.html
        for (const banned of ["<script", "alert(", "onclick", "onerror", "javascript:", "<svg", "<meta", "refresh", "<link", "<style", "url(", "<iframe", "<form", "<input", "<object", "evil.test"]) {
          assert.notInclude(html.toLowerCase(), banned.toLowerCase(), banned)
        }
        assert.notMatch(html, /\ssrc="https?:/)
        assert.include(html, "Hello <b>Bob</b>")
        assert.include(html, `<a href="https://example.com/ok" target="_blank" rel="noopener noreferrer nofollow">fine</a>`)
        assert.include(html, `data-blocked-src="https://tracker.test/pixel.gif"`)
        assert.include(html, `style="color:red"`)
        const logo = `/api/mailboxes/bob%40localhost/messages/${id}/parts/1`
        assert.include(html, `<img alt="logo" src="${logo}" />`)
        assert.deepStrictEqual(view.parts[1], { index: 1, contentType: "image/png", size: png.byteLength, disposition: "inline", contentId: "logo@x" })
        assert.strictEqual(view.attachments, 0)
        const image = yield* request(logo)
        assert.deepStrictEqual(image.bytes, png)
        assert.match(image.headers.get("content-disposition") ?? "", /^inline; /)
        assert.strictEqual(image.headers.get("content-security-policy"), "sandbox; default-src 'none'")
        // The HTML part itself is served as an attachment, never rendered by the browser.
        const htmlPart = yield* request(`${bob}/messages/${id}/parts/0`)
        assert.match(htmlPart.headers.get("content-disposition") ?? "", /^attachment; /)
        assert.strictEqual(htmlPart.headers.get("content-type"), "text/html; charset=utf-8")
      })))

  it.live("seen and unseen move the file and set the S flag; delete removes it; unknown ids and mailboxes are 404", () =>
    withRoot((root) =>
      Effect.gen(function*() {
        const maildir = Path.join(root, "localhost", "bob", "Maildir")
        const name = "1764583200.M1P1Q1.h,S=10"
        const id = deliver(root, "localhost", "bob", name, latin1)
        const seen = yield* request(`${bob}/messages/${id}/seen`, { method: "POST" })
        assert.strictEqual(seen.status, 200)
        assert.deepStrictEqual(seen.json(), { seen: true })
        assert.deepStrictEqual(Fs.readdirSync(Path.join(maildir, "new")), [])
        assert.deepStrictEqual(Fs.readdirSync(Path.join(maildir, "cur")), [`${name}:2,S`])
        assert.deepStrictEqual((yield* request("/api/mailboxes")).json(), { mailboxes: [{ address: "bob@localhost", messages: 1, unread: 0 }] })
        assert.isTrue(page((yield* request(`${bob}/messages`)).json()).messages[0]?.seen)
        // Other flags are kept.
        Fs.renameSync(Path.join(maildir, "cur", `${name}:2,S`), Path.join(maildir, "cur", `${name}:2,FS`))
        assert.deepStrictEqual((yield* request(`${bob}/messages/${id}/unseen`, { method: "POST" })).json(), { seen: false })
        assert.deepStrictEqual(Fs.readdirSync(Path.join(maildir, "cur")), [`${name}:2,F`])
        assert.deepStrictEqual((yield* request(`${bob}/messages/${id}/seen`, { method: "POST" })).json(), { seen: true })
        assert.deepStrictEqual(Fs.readdirSync(Path.join(maildir, "cur")), [`${name}:2,FS`])
        assert.strictEqual((yield* request(`${bob}/messages/${id}/flagged`, { method: "POST" })).status, 400)

        const deleted = yield* request(`${bob}/messages/${id}`, { method: "DELETE" })
        assert.deepStrictEqual(deleted.json(), { deleted: true })
        assert.deepStrictEqual(Fs.readdirSync(Path.join(maildir, "cur")), [])
        const again = yield* request(`${bob}/messages/${id}`, { method: "DELETE" })
        assert.strictEqual(again.status, 404)
        assert.deepStrictEqual(again.json(), { _tag: "MailboxMessageNotFound", mailbox: "bob@localhost", id })
        const nobody = yield* request("/api/mailboxes/nobody%40localhost/messages")
        assert.strictEqual(nobody.status, 404)
        assert.deepStrictEqual(nobody.json(), { _tag: "MailboxNotFound", mailbox: "nobody@localhost" })
        assert.strictEqual((yield* request(`${bob}/messages/${id}`)).status, 404)
        assert.strictEqual((yield* request(`${bob}/messages/${id}/raw`)).status, 404)
      })))

  it.live("path traversal in :mailbox and :id is refused", () =>
    withRoot((root) =>
      Effect.gen(function*() {
        // A Maildir-shaped tree outside the root, and a file next to the root, that no request may reach.
        const outside = Path.join(Path.dirname(root), `${Path.basename(root)}-outside`)
        Fs.mkdirSync(Path.join(outside, "Maildir", "new"), { recursive: true })
        Fs.writeFileSync(Path.join(outside, "Maildir", "new", "secret"), "Subject: TOP-SECRET\r\n\r\nTOP-SECRET\r\n")
        try {
          deliver(root, "localhost", "bob", "1764583200.M1P1Q1.h,S=10", latin1)
          const b64 = (s: string) => Buffer.from(s).toString("base64url")
          const mailboxes = [
            `x@..%2F..%2F${Path.basename(root)}-outside`, "..%2F..%40localhost", "%2E%2E@%2E%2E", "bob@localhost%2F..%2F..", "@", "no-at-sign", "%00@localhost"
          ]
          for (const mailbox of mailboxes) {
            const r = yield* request(`/api/mailboxes/${mailbox}/messages`)
            assert.oneOf(r.status, [400, 404], mailbox)
            assert.notInclude(r.text, "TOP-SECRET")
          }
          const ids = [
            b64("../../../outside/Maildir/new/secret"), b64(".."), b64("../cur"), "..", "..%2F..%2Fsecret", b64("x\u0000y"), "%2E%2E", b64(`../../../../${Path.basename(outside)}/Maildir/new/secret`)
          ]
          for (const id of ids) {
            for (const suffix of ["", "/raw", "/parts/0"]) {
              const r = yield* request(`${bob}/messages/${id}${suffix}`)
              assert.oneOf(r.status, [400, 404], `${id}${suffix}`)
              assert.notInclude(r.text, "TOP-SECRET")
            }
            assert.oneOf((yield* request(`${bob}/messages/${id}/seen`, { method: "POST" })).status, [400, 404])
            assert.oneOf((yield* request(`${bob}/messages/${id}`, { method: "DELETE" })).status, [400, 404])
          }
          assert.isTrue(Fs.existsSync(Path.join(outside, "Maildir", "new", "secret")))
          assert.strictEqual(page((yield* request(`${bob}/messages`)).json()).total, 1)
        } finally {
          Fs.rmSync(outside, { recursive: true, force: true })
        }
      })))
})

/** Reads a server-sent event stream until `until` matches the text so far (or the time runs out). */
const events = (base: string) => {
  const controller = new AbortController()
  let text = ""
  let ended = false
  const done = (async () => {
    try {
      const response = await fetch(`${base}/api/events`, { signal: controller.signal })
      const reader = response.body?.getReader()
      const decoder = new TextDecoder()
      for (;;) {
        const chunk = await reader?.read()
        if (chunk === undefined || chunk.done) break
        text += decoder.decode(chunk.value, { stream: true })
      }
    } catch {
      // Aborted by the test, or cut by the server: either way the stream is over.
    }
    ended = true
  })()
  const waitFor = (pattern: RegExp, within: Duration.Input = Duration.seconds(5)) =>
    Effect.gen(function*() {
      const deadline = Date.now() + Duration.toMillis(Duration.fromInputUnsafe(within))
      while (!pattern.test(text) && Date.now() < deadline) yield* Effect.sleep(Duration.millis(25))
      assert.match(text, pattern)
    })
  return { waitFor, text: () => text, ended: () => ended, done, close: () => controller.abort() }
}

describe("events", () => {
  it.live("mail written by another process and deleted over the API arrive as events; the queue stats come first", () =>
    withRoot((root) =>
      Effect.gen(function*() {
        deliver(root, "localhost", "bob", "1764583100.M1P1Q1.h,S=1", latin1)
        const base = `http://127.0.0.1:${yield* ApiServer.port}`
        const stream = events(base)
        yield* Effect.addFinalizer(() => Effect.sync(stream.close))
        yield* stream.waitFor(/event: queue\ndata: \{"[^\n]*\n\n/)
        const queueData = /event: queue\ndata: ([^\n]*)\n/.exec(stream.text())?.[1] ?? ""
        assert.deepStrictEqual(JSON.parse(queueData), (yield* request("/api/queue/stats")).json())
        // The mailbox appeared after the watcher's first pass: its message is news, then nothing more until the write.
        yield* stream.waitFor(/event: mail\n/)
        yield* Effect.sleep(Duration.millis(300))
        const mark = stream.text().length
        const after = () => stream.text().slice(mark)
        const name = "1764583200.M1P42Q1.other,S=10"
        const file = Path.join(root, "localhost", "bob", "Maildir", "new", name)
        yield* Effect.promise(() =>
          new Promise<void>((resolve, reject) =>
            ChildProcess.execFile(process.execPath, ["-e", `require("node:fs").writeFileSync(${JSON.stringify(file)}, ${JSON.stringify(latin1)})`], (error) => (error === null ? resolve() : reject(error)))
          )
        )
        const id = Buffer.from(name).toString("base64url")
        yield* stream.waitFor(new RegExp(`event: mail\ndata: \\{"mailbox":"bob@localhost","id":"${id}"\\}\n\n`))
        // Flagging moves the file but it is the same message: no event.
        assert.strictEqual((yield* request(`${bob}/messages/${id}/seen`, { method: "POST" })).status, 200)
        assert.strictEqual((yield* request(`${bob}/messages/${id}`, { method: "DELETE" })).status, 200)
        yield* stream.waitFor(new RegExp(`event: mail-removed\ndata: \\{"mailbox":"bob@localhost","id":"${id}"\\}\n\n`))
        assert.strictEqual(after().match(/event: mail/g)?.length, 2, stream.text())
        assert.strictEqual(after().match(/event: mail\n/g)?.length, 1)
        assert.isFalse(stream.ended())
      })))

  it.live("a client that goes away ends its stream on the server (the open-streams gauge goes back down)", () =>
    Effect.gen(function*() {
      const gauge = Effect.map(request("/metrics"), (r) => Number(/^cartero_http_event_streams (\d+)/m.exec(r.text)?.[1] ?? "0"))
      const before = yield* gauge
      const base = `http://127.0.0.1:${yield* ApiServer.port}`
      const stream = events(base)
      yield* stream.waitFor(/event: queue/)
      assert.strictEqual(yield* gauge, before + 1)
      stream.close()
      const deadline = Date.now() + 3000
      while ((yield* gauge) !== before && Date.now() < deadline) yield* Effect.sleep(Duration.millis(25))
      assert.strictEqual(yield* gauge, before)
    }).pipe(Effect.provide(server("none"))))

  it.live("the event stream ends when the server shuts down, without holding the shutdown", () =>
    Effect.gen(function*() {
      const { stream, elapsed } = yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(server("none"))
        const base = `http://127.0.0.1:${yield* ApiServer.port.pipe(Effect.provide(context))}`
        const stream = events(base)
        yield* stream.waitFor(/event: queue/)
        return { stream, elapsed: Date.now() }
      }))
      const closedIn = Date.now() - elapsed
      assert.isBelow(closedIn, 1500)
      yield* Effect.promise(() => Promise.race([stream.done, new Promise((r) => setTimeout(r, 3000))]))
      assert.isTrue(stream.ended())
    }))
})
