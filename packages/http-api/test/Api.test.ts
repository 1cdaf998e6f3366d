import { assert, describe, it } from "@effect/vitest"
import { MailQueue } from "@cartero/queue"
import { Fixtures } from "@cartero/queue/testing"
import { Effect } from "effect"
import { type Outage, request, server } from "./support.ts"

const enqueue = (from: string | null, ...to: ReadonlyArray<string>) =>
  Effect.flatMap(
    MailQueue.MailQueue.useSync((q) => q),
    (q) => q.enqueue({ envelope: Fixtures.envelope(from, ...to), body: Fixtures.bytes("Subject: x\r\n\r\nhi\r\n") })
  )

const ids = (body: unknown): ReadonlyArray<string> => (body as { items: ReadonlyArray<{ id: string }> }).items.map((m) => m.id)
const next = (body: unknown): string | null => (body as { next: string | null }).next

describe("system endpoints", () => {
  it.live("healthz, readyz and the OpenAPI description", () =>
    Effect.gen(function*() {
      const health = yield* request("/healthz")
      assert.strictEqual(health.status, 200)
      assert.deepStrictEqual(health.json(), { status: "up" })
      const ready = yield* request("/readyz")
      assert.strictEqual(ready.status, 200)
      assert.deepStrictEqual(ready.json(), {
        status: "ready",
        checks: [{ name: "listeners", ok: true, error: null }, { name: "queue", ok: true, error: null }]
      })
      const openapi = yield* request("/api/openapi.json")
      assert.strictEqual(openapi.status, 200)
      const doc = openapi.json() as { openapi: string; paths: Record<string, unknown> }
      assert.match(doc.openapi, /^3\./)
      for (const path of ["/healthz", "/readyz", "/metrics", "/api/queue/messages", "/api/queue/messages/{id}", "/api/queue/stats", "/api/mailboxes", "/api/mailboxes/{mailbox}/messages/{id}", "/api/events"]) {
        assert.property(doc.paths, path)
      }
    }).pipe(Effect.provide(server("none"))))

  const outage: Outage = { down: false }
  it.live("readyz is 503 and names the queue when the store is down; metrics say so too", () =>
    Effect.gen(function*() {
      outage.down = true
      const ready = yield* request("/readyz")
      assert.strictEqual(ready.status, 503)
      const body = ready.json() as { _tag: string; checks: ReadonlyArray<{ name: string; ok: boolean; error: string | null }> }
      assert.strictEqual(body._tag, "NotReady")
      assert.deepStrictEqual(body.checks.map((c) => [c.name, c.ok]), [["listeners", true], ["queue", false]])
      assert.include(body.checks[1]?.error ?? "", "ECONNREFUSED")
      const stats = yield* request("/api/queue/stats")
      assert.strictEqual(stats.status, 503)
      const metrics = yield* request("/metrics")
      assert.strictEqual(metrics.status, 200)
      assert.include(metrics.text, "cartero_queue_up 0")
      outage.down = false
      assert.strictEqual((yield* request("/readyz")).status, 200)
      assert.include((yield* request("/metrics")).text, "cartero_queue_up 1")
    }).pipe(Effect.provide(server("none", outage))))

  it.live("metrics: Prometheus text with the queue gauges", () =>
    Effect.gen(function*() {
      yield* enqueue("a@src.test", "b@dst.test", "c@dst.test")
      const metrics = yield* request("/metrics")
      assert.strictEqual(metrics.status, 200)
      assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain/)
      assert.match(metrics.text, /cartero_queue_recipients\{state="pending"\} 2\b/)
      assert.match(metrics.text, /cartero_queue_messages 1\b/)
      assert.include(metrics.text, "# TYPE cartero_queue_recipients gauge")
    }).pipe(Effect.provide(server("none"))))
})

describe("authorization", () => {
  it.live("basic mode: only /healthz without credentials; wrong ones refused; the user file's are accepted", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* request("/healthz")).status, 200)
      for (const path of ["/readyz", "/metrics", "/api/openapi.json", "/api/queue/stats", "/api/queue/messages"]) {
        const anonymous = yield* request(path)
        assert.strictEqual(anonymous.status, 401, path)
        assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Basic realm="cartero"/)
      }
      assert.strictEqual((yield* request("/api/queue/stats", { user: "alice", password: "wrong" })).status, 401)
      assert.strictEqual((yield* request("/api/queue/stats", { user: "mallory", password: "secret" })).status, 401)
      assert.strictEqual((yield* request("/api/queue/messages/x1", { method: "DELETE" })).status, 401)
      const ok = yield* request("/api/queue/stats", { user: "alice", password: "secret" })
      assert.strictEqual(ok.status, 200)
      assert.strictEqual((ok.json() as { messages: number }).messages, 0)
      // Remembered: the second request is as good as the first.
      assert.strictEqual((yield* request("/metrics", { user: "alice", password: "secret" })).status, 200)
    }).pipe(Effect.provide(server("basic"))))

  it.live("open mode asks nothing", () =>
    Effect.gen(function*() {
      assert.strictEqual((yield* request("/api/queue/stats")).status, 200)
    }).pipe(Effect.provide(server("none"))))
})

describe("queue listing", () => {
  it.live("pages and filters by state, domain, sender, recipient and age", () =>
    Effect.gen(function*() {
      const m1 = yield* enqueue("alice@one.test", "x@dst.test")
      const m2 = yield* enqueue("bob@one.test", "y@other.test")
      const m3 = yield* enqueue(null, "x@dst.test", "z@third.test")
      const m4 = yield* enqueue("carol@two.test", "w@other.test")
      const m5 = yield* enqueue("alice@two.test", "v@dst.test")

      // Oldest first; messages of one millisecond are ordered by id, so the expected order comes from the listing.
      const everything = ids((yield* request("/api/queue/messages")).json())
      assert.sameMembers([...everything], [m1, m2, m3, m4, m5])
      const inOrder = (...want: ReadonlyArray<string>) => everything.filter((id) => want.includes(id))

      const first = yield* request("/api/queue/messages?limit=2")
      const second = yield* request(`/api/queue/messages?limit=2&cursor=${encodeURIComponent(next(first.json()) ?? "")}`)
      const third = yield* request(`/api/queue/messages?limit=2&cursor=${encodeURIComponent(next(second.json()) ?? "")}`)
      assert.deepStrictEqual([ids(first.json()).length, ids(second.json()).length, ids(third.json()).length], [2, 2, 1])
      assert.deepStrictEqual([...ids(first.json()), ...ids(second.json()), ...ids(third.json())], everything)
      assert.isNull(next(third.json()))

      assert.deepStrictEqual(ids((yield* request("/api/queue/messages?domain=other.test")).json()), inOrder(m2, m4))
      assert.deepStrictEqual(ids((yield* request("/api/queue/messages?sender=alice")).json()), inOrder(m1, m5))
      assert.deepStrictEqual(ids((yield* request("/api/queue/messages?sender=%3C%3E")).json()), [m3])
      assert.deepStrictEqual(ids((yield* request("/api/queue/messages?recipient=x@dst")).json()), inOrder(m1, m3))
      // The recipient filter pages too.
      const dst = inOrder(m1, m3, m5)
      const r1 = yield* request("/api/queue/messages?recipient=dst.test&limit=2")
      assert.deepStrictEqual(ids(r1.json()), dst.slice(0, 2))
      const r2 = yield* request(`/api/queue/messages?recipient=dst.test&limit=2&cursor=${encodeURIComponent(next(r1.json()) ?? "")}`)
      assert.deepStrictEqual(ids(r2.json()), dst.slice(2))
      assert.deepStrictEqual(ids((yield* request("/api/queue/messages?olderThan=1h")).json()), [])
      assert.strictEqual(ids((yield* request("/api/queue/messages?olderThan=0s")).json()).length, 5)
      assert.deepStrictEqual(ids((yield* request("/api/queue/messages?state=held")).json()), [])

      const badAge = yield* request("/api/queue/messages?olderThan=soon")
      assert.strictEqual(badAge.status, 400)
      assert.include(badAge.text, "olderThan")
      assert.strictEqual((yield* request("/api/queue/messages?limit=0")).status, 400)
      assert.strictEqual((yield* request("/api/queue/messages?state=lost")).status, 400)
    }).pipe(Effect.provide(server("none"))))
})

describe("queue actions", () => {
  it.live("show, hold, release, retry, delete one message; unknown ids are 404", () =>
    Effect.gen(function*() {
      const id = yield* enqueue("alice@one.test", "x@dst.test", "y@dst.test")
      const shown = yield* request(`/api/queue/messages/${id}`)
      assert.strictEqual(shown.status, 200)
      const detail = shown.json() as { sender: string; recipients: ReadonlyArray<{ address: string; state: string }> }
      assert.strictEqual(detail.sender, "<alice@one.test>")
      assert.deepStrictEqual(detail.recipients.map((r) => [r.address, r.state]), [["x@dst.test", "pending"], ["y@dst.test", "pending"]])

      const held = yield* request(`/api/queue/messages/${id}/hold`, { method: "POST" })
      assert.deepStrictEqual(held.json(), { id, action: "hold", recipients: 2 })
      assert.deepStrictEqual(ids((yield* request("/api/queue/messages?state=held")).json()), [id])
      const released = yield* request(`/api/queue/messages/${id}/release`, { method: "POST" })
      assert.deepStrictEqual(released.json(), { id, action: "release", recipients: 2 })
      const retried = yield* request(`/api/queue/messages/${id}/retry`, { method: "POST" })
      assert.deepStrictEqual(retried.json(), { id, action: "retry", recipients: 2 })
      const deleted = yield* request(`/api/queue/messages/${id}`, { method: "DELETE" })
      assert.deepStrictEqual(deleted.json(), { id, action: "delete", recipients: 2 })
      assert.strictEqual((yield* request(`/api/queue/messages/${id}`)).status, 404)

      for (const [method, path] of [["GET", "/api/queue/messages/nope1"], ["POST", "/api/queue/messages/nope1/hold"], ["DELETE", "/api/queue/messages/nope1"], ["GET", "/api/queue/messages/..%2F..%2Fetc"]] as const) {
        const missing = yield* request(path, { method })
        assert.strictEqual(missing.status, 404, `${method} ${path}`)
      }
      assert.strictEqual((yield* request(`/api/queue/messages/${id}/explode`, { method: "POST" })).status, 400)
    }).pipe(Effect.provide(server("none"))))

  it.live("act on many messages by filter", () =>
    Effect.gen(function*() {
      const a = yield* enqueue("alice@one.test", "x@dst.test")
      const b = yield* enqueue("bob@one.test", "y@other.test")
      const c = yield* enqueue("carol@one.test", "z@dst.test")
      const held = yield* request("/api/queue/hold?domain=dst.test", { method: "POST" })
      assert.strictEqual(held.status, 200)
      const body = held.json() as { done: ReadonlyArray<{ id: string; action: string; recipients: number }>; skipped: ReadonlyArray<unknown> }
      assert.sameMembers(body.done.map((d) => d.id), [a, c])
      assert.isTrue(body.done.every((d) => d.action === "hold" && d.recipients === 1))
      assert.deepStrictEqual(body.skipped, [])
      assert.sameMembers([...ids((yield* request("/api/queue/messages?state=held")).json())], [a, c])
      const released = yield* request("/api/queue/release?state=held", { method: "POST" })
      assert.strictEqual((released.json() as { done: ReadonlyArray<unknown> }).done.length, 2)
      const deleted = yield* request("/api/queue/delete?recipient=y@other", { method: "POST" })
      assert.deepStrictEqual((deleted.json() as { done: ReadonlyArray<{ id: string }> }).done.map((d) => d.id), [b])
      assert.sameMembers([...ids((yield* request("/api/queue/messages")).json())], [a, c])
      assert.strictEqual((yield* request("/api/queue/retry?olderThan=later", { method: "POST" })).status, 400)
      assert.strictEqual((yield* request("/api/queue/melt", { method: "POST" })).status, 400)
      // No filter is not "everything" by accident.
      const unfiltered = yield* request("/api/queue/delete", { method: "POST" })
      assert.strictEqual(unfiltered.status, 400)
      assert.include(unfiltered.text, "all=true")
      assert.strictEqual(ids((yield* request("/api/queue/messages")).json()).length, 2)
      const everything = yield* request("/api/queue/delete?all=true", { method: "POST" })
      assert.strictEqual((everything.json() as { done: ReadonlyArray<unknown> }).done.length, 2)
      assert.strictEqual(ids((yield* request("/api/queue/messages")).json()).length, 0)
    }).pipe(Effect.provide(server("none"))))
})
