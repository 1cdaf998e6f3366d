/**
 * Conformance cases: enqueue, bodies and show.
 *
 * @since 0.1.0
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { MailQueue } from "../MailQueue.ts"
import { binaryBody, bytes, chunked, collect, envelope, type StoreLayer, withQueue } from "./Fixtures.ts"

/** Registers the cases. */
export const cases = (store: StoreLayer): void => {
  const run = withQueue(store)
  describe("enqueue", () => {
    it.effect("stores envelope, arrival, trace id and pending recipients", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const env = envelope("alice@a.test", "bob@b.test", "carol@c.test")
        const id = yield* q.enqueue({ envelope: env, body: bytes("Subject: hi\r\n\r\nhello\r\n"), traceId: "trace-1" })
        const m = yield* q.show(id)
        assert.strictEqual(m.id, id)
        assert.deepStrictEqual(m.envelope, env)
        assert.strictEqual(m.traceId, "trace-1")
        assert.strictEqual(m.bodySize, 22)
        assert.strictEqual(m.held, false)
        assert.strictEqual(m.recipients.length, 2)
        for (const r of m.recipients) {
          assert.strictEqual(r.state, "pending")
          assert.strictEqual(r.attempts, 0)
          assert.strictEqual(r.lastReply, undefined)
          assert.strictEqual(r.nextAttemptAt, m.arrivedAt)
        }
        assert.deepStrictEqual(m.recipients.map((r) => r.domain), ["b.test", "c.test"])
      })))

    it.effect("streams a chunked binary body in and out unchanged", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const body = binaryBody(200_003)
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: chunked(body, 7_777) })
        const back = yield* collect(q.body(id))
        assert.strictEqual(back.length, body.length)
        assert.isTrue(Buffer.from(back).equals(Buffer.from(body)))
        assert.strictEqual((yield* q.show(id)).bodySize, body.length)
      })))

    it.effect("keeps an empty body", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: new Uint8Array(0) })
        assert.strictEqual((yield* collect(q.body(id))).length, 0)
        assert.strictEqual((yield* q.show(id)).bodySize, 0)
      })))

    it.effect("keeps NUL, CR, LF and high bytes in the body", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const body = Uint8Array.from([0, 13, 10, 0x2e, 13, 10, 255, 254, 0, 0x7b, 0x22, 0x5d, 0x5d])
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body })
        assert.deepStrictEqual([...(yield* collect(q.body(id)))], [...body])
      })))

    it.effect("a failing body stream fails enqueue with its error and stores nothing", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const body = Stream.concat(Stream.make(bytes("partial ")), Stream.fail("client went away" as const))
        const err = yield* Effect.flip(q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body }))
        assert.strictEqual(err, "client went away")
        const stats = yield* q.stats
        assert.strictEqual(stats.messages, 0)
        assert.strictEqual((yield* q.list()).items.length, 0)
        assert.strictEqual((yield* q.claim()).length, 0)
      })))

    it.effect("makes a trace id when none is given", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const id = yield* q.enqueue({ envelope: envelope("a@a.test", "b@b.test"), body: bytes("x") })
        assert.match((yield* q.show(id)).traceId, /^[0-9a-f]{32}$/)
      })))

    it.effect("gives every message a distinct, valid id", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const ids = yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => i),
          (i) => q.enqueue({ envelope: envelope("a@a.test", `u${i}@b.test`), body: bytes(`m${i}`) }),
          { concurrency: 10 }
        )
        assert.strictEqual(new Set(ids).size, 100)
        for (const id of ids) assert.match(id, /^[0-9a-z]{1,64}$/)
        assert.strictEqual((yield* q.stats).messages, 100)
      })))

    it.effect("keeps the null reverse path and ESMTP parameters", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const env = {
          mailFrom: null,
          params: { smtpUtf8: true, body: "8BITMIME" as const, size: 1234, ret: "HDRS" as const, envid: "env-1" },
          recipients: [{ address: { localPart: "bob", domain: "b.test" }, notify: ["FAILURE" as const, "DELAY" as const], orcpt: "rfc822;bob@b.test" }]
        }
        const id = yield* q.enqueue({ envelope: env, body: bytes("x") })
        assert.deepStrictEqual((yield* q.show(id)).envelope, env)
        assert.deepStrictEqual((yield* q.claim())[0]?.envelope, env)
      })))
  })
}
