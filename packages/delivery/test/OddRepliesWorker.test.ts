/**
 * Odd replies through the real worker into a real queue store: the recipient is deferred once with a reply that
 * says what came back, the deferral is stored and read back, and the message is not sent again until its retry
 * time (an hour here). Before, a `150 hmm` was stored as such, could not be read back by the SQLite store, every
 * completion failed, the lease lapsed and the message went out again and again.
 */
import { assert, describe, it } from "@effect/vitest"
import { MemoryQueueStore } from "@cartero/queue"
import type { QueueStore } from "@cartero/queue"
import { SqliteQueueStore } from "@cartero/queue-sqlite"
import { SmtpReply } from "@cartero/smtp"
import { SmtpSink } from "@cartero/testing"
import { Duration, Effect, type Layer } from "effect"
import * as RetryPolicy from "../src/RetryPolicy.ts"
import { body, envelope, eventually, setup } from "./support/worker.ts"

const stores: ReadonlyArray<{ readonly name: string; readonly layer: () => Layer.Layer<QueueStore.QueueStore, unknown> }> = [
  { name: "memory", layer: () => MemoryQueueStore.MemoryQueueStore.layer({ retainFinishedMillis: 600_000 }) },
  { name: "SQLite", layer: () => SqliteQueueStore.SqliteQueueStore.layerTemp({ retainFinishedMillis: 600_000 }) }
]

/** A short lease, so that a completion that fails shows up at once as a second delivery; retries only after an hour. */
const run = (store: () => Layer.Layer<QueueStore.QueueStore, unknown>, sink: SmtpSink.Options) =>
  setup({ store: store(), sink, settings: { lease: Duration.millis(300) }, retry: RetryPolicy.make(["1 hour"], "5 days", 0) })

const deferredOnce = Effect.fnUntraced(function*(
  store: () => Layer.Layer<QueueStore.QueueStore, unknown>,
  script: SmtpSink.Options,
  expected: RegExp
) {
  const { queue, sink } = yield* run(store, script)
  const id = yield* queue.enqueue({ envelope: envelope("sender@origin.test", ["bob@dest.test"]), body: body() })
  const shown = yield* eventually(queue.show(id).pipe(Effect.map((m) => (m.recipients[0]?.state === "deferred" ? m : undefined))))
  const r = shown.recipients[0]
  assert.match(r?.lastReply === undefined ? "" : SmtpReply.toString(r.lastReply), expected)
  assert.strictEqual(r?.attempts, 1)
  // Several lease lengths later: still one attempt, nothing sent again.
  yield* Effect.sleep("1500 millis")
  const later = yield* queue.show(id)
  assert.strictEqual(later.recipients[0]?.state, "deferred")
  assert.strictEqual(later.recipients[0]?.attempts, 1)
  assert.isUndefined(later.quarantine)
  assert.deepStrictEqual((yield* queue.list()).items.map((s) => s.id), [id])
  const rcpts = (yield* sink.commands).filter((c) => c.startsWith("RCPT"))
  assert.strictEqual(rcpts.length, 1, "the recipient was tried once")
  return sink
})

const cases: ReadonlyArray<{ readonly name: string; readonly script: SmtpSink.Options; readonly reply: RegExp; readonly received: number }> = [
  {
    name: "150 hmm at the end of data: deferred once, stored, never sent again",
    script: { message: () => SmtpSink.reply(150, "hmm") },
    reply: /^451 4\.5\.0 unexpected reply from mx1\.dest\.test\[127\.0\.0\.1\]:\d+ to the end of data: 150 hmm$/,
    received: 1
  },
  {
    name: "150 hmm at RCPT: deferred once, stored, never tried again",
    script: { rcptTo: () => SmtpSink.reply(150, "hmm") },
    reply: /^451 4\.5\.0 unexpected reply from mx1\.dest\.test\[127\.0\.0\.1\]:\d+ to RCPT TO: 150 hmm$/,
    received: 0
  },
  {
    name: "a multi-line reply whose lines disagree, then a flood: deferred once as a protocol error",
    script: { message: () => SmtpSink.raw(`250-2.0.0 ok\r\n550 5.0.0 no\r\n${"250 2.0.0 more\r\n".repeat(5000)}`) },
    reply: /^451 4\.5\.0 protocol error from mx1\.dest\.test\[127\.0\.0\.1\]:\d+: malformed reply/,
    received: 1
  }
]

for (const store of stores) {
  describe(`odd replies through the worker (${store.name} store)`, () => {
    for (const c of cases) {
      it.live(c.name, () =>
        Effect.gen(function*() {
          const sink = yield* deferredOnce(store.layer, c.script, c.reply)
          assert.strictEqual(yield* sink.received, c.received)
        }).pipe(Effect.scoped))
    }
  })
}
