import { MailQueue } from "@cartero/queue"
import { Fixtures } from "@cartero/queue/testing"
import { SmtpReply } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { contentSecurityPolicy } from "../src/WebUi.ts"
import { baseUrl, server } from "./support.ts"

const get = (path: string, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const base = yield* baseUrl
    return yield* Effect.promise(async () => {
      const response = await fetch(`${base}${path}`, { headers })
      return { status: response.status, headers: response.headers, text: await response.text() }
    })
  })

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` })

/** The versioned base the page names. */
const baseOf = (page: string): string => {
  const base = /src="(\/ui\/[0-9a-f]+)\/app\.mjs"/.exec(page)?.[1]
  if (base === undefined) throw new Error(`no app.mjs in the page: ${page}`)
  return base
}

describe("web UI serving", () => {
  it.live("the page at /: HTML, strict CSP, revalidated with its ETag", () =>
    Effect.gen(function*() {
      const page = yield* get("/")
      assert.strictEqual(page.status, 200)
      assert.strictEqual(page.headers.get("content-type"), "text/html; charset=utf-8")
      assert.strictEqual(page.headers.get("content-security-policy"), contentSecurityPolicy)
      assert.include(contentSecurityPolicy, "script-src 'self'")
      assert.notInclude(contentSecurityPolicy.split("; ").find((d) => d.startsWith("script-src")) ?? "", "unsafe")
      assert.strictEqual(page.headers.get("x-content-type-options"), "nosniff")
      assert.strictEqual(page.headers.get("cache-control"), "no-cache")
      const etag = page.headers.get("etag") ?? ""
      assert.match(etag, /^"[\w-]+"$/)
      const again = yield* get("/", { "if-none-match": etag })
      assert.strictEqual(again.status, 304)
      assert.strictEqual(again.text, "")
    }).pipe(Effect.provide(server("none"))))

  it.live("versioned files are immutable with their content type; other versions revalidate; nothing else is served", () =>
    Effect.gen(function*() {
      const base = baseOf((yield* get("/")).text)
      const app = yield* get(`${base}/app.mjs`)
      assert.strictEqual(app.status, 200)
      assert.strictEqual(app.headers.get("content-type"), "text/javascript; charset=utf-8")
      assert.strictEqual(app.headers.get("cache-control"), "private, max-age=31536000, immutable")
      const css = yield* get(`${base}/style.css`)
      assert.strictEqual(css.headers.get("content-type"), "text/css; charset=utf-8")
      const preact = yield* get(`${base}/vendor/preact.mjs`)
      assert.strictEqual(preact.status, 200)
      assert.include(preact.text, "render")
      const old = yield* get("/ui/000000000000/app.mjs")
      assert.strictEqual(old.status, 200)
      assert.strictEqual(old.headers.get("cache-control"), "no-cache")
      for (const path of [`${base}/nope.mjs`, `${base}/../package.json`, `${base}/%2e%2e/package.json`, `${base}/index.html`, "/ui/", "/ui/x/app.mjs", "/static/app.mjs"]) {
        assert.strictEqual((yield* get(path)).status, 404, path)
      }
    }).pipe(Effect.provide(server("none"))))

  it.live("basic mode: the page and its files ask for the users file's credentials, like the API", () =>
    Effect.gen(function*() {
      const anonymous = yield* get("/")
      assert.strictEqual(anonymous.status, 401)
      assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic realm="cartero"/)
      assert.strictEqual((yield* get("/", basic("alice", "wrong"))).status, 401)
      assert.strictEqual((yield* get("/", { authorization: "Basic !!!" })).status, 401)
      const page = yield* get("/", basic("alice", "secret"))
      assert.strictEqual(page.status, 200)
      const base = baseOf(page.text)
      assert.strictEqual((yield* get(`${base}/app.mjs`)).status, 401)
      assert.strictEqual((yield* get(`${base}/app.mjs`, basic("alice", "secret"))).status, 200)
    }).pipe(Effect.provide(server("basic"))))
})

describe("queue breakdown", () => {
  it.live("recipients by domain and state, deferred ones grouped by their last reply", () =>
    Effect.gen(function*() {
      const q = yield* MailQueue.MailQueue
      yield* q.enqueue({ envelope: Fixtures.envelope("a@src.test", "b@one.test", "c@one.test", "d@two.test"), body: Fixtures.bytes("Subject: x\r\n\r\nhi\r\n") })
      yield* q.enqueue({ envelope: Fixtures.envelope("a@src.test", "e@two.test"), body: Fixtures.bytes("Subject: y\r\n\r\nhi\r\n") })
      // One delivery attempt each: two.test refuses for now, one.test takes b and defers c.
      const claims = yield* q.claim({ leaseMillis: 60_000, limit: 10 })
      const later = Date.now() + 3_600_000
      for (const claim of claims) {
        yield* q.complete(claim, claim.recipients.map((r) =>
          r.recipient.address.domain === "two.test"
            ? { _tag: "Deferred" as const, index: r.index, reply: SmtpReply.fromParts(421, "4.7.0", "try later"), retryAt: later }
            : r.recipient.address.localPart === "b"
            ? { _tag: "Delivered" as const, index: r.index, reply: SmtpReply.fromParts(250, "2.0.0", "ok") }
            : { _tag: "Deferred" as const, index: r.index, reply: SmtpReply.fromParts(450, "4.2.1", "mailbox busy"), retryAt: later }
        ))
      }
      const response = yield* get("/api/queue/breakdown")
      assert.strictEqual(response.status, 200, response.text)
      assert.deepStrictEqual(JSON.parse(response.text), {
        scanned: 2,
        truncated: false,
        domains: [
          { domain: "one.test", recipients: { delivered: 1, deferred: 1 } },
          { domain: "two.test", recipients: { deferred: 2 } }
        ],
        reasons: [
          { reason: "421 4.7.0 try later", recipients: 2, domains: ["two.test"] },
          { reason: "450 4.2.1 mailbox busy", recipients: 1, domains: ["one.test"] }
        ]
      })
    }).pipe(Effect.provide(server("none"))))
})
