/**
 * The fault every durable store must survive: a worker process claims work and is killed with SIGKILL before it
 * completes. Its recipients stay in flight until the lease expires, then come back and can be delivered.
 *
 * Each store runs it with its own claimer script (a child process holding a 1.5 s lease on the same store).
 *
 * @since 0.1.0
 */
import { assert } from "@effect/vitest"
import { Effect } from "effect"
import { MailQueue } from "../MailQueue.ts"
import * as ChildProcess from "./ChildProcess.ts"
import * as Fixtures from "./Fixtures.ts"

/**
 * Queues 5 messages of 2 recipients, lets `claimer` (run with `args`, which must print `CLAIMED <n>` after claiming
 * under a 1 500 ms lease) take all 10, kills it, and checks the recipients are in flight, then claimable again after
 * the lease, then done once completed.
 */
export const killedBetweenClaimAndComplete = (claimer: string, args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const q = yield* MailQueue
    for (let i = 0; i < 5; i++) {
      yield* q.enqueue({ envelope: Fixtures.envelope("a@a.test", `u${i}@b.test`, `v${i}@c.test`), body: Fixtures.bytes(`m${i}`) })
    }
    const { child, line } = yield* ChildProcess.spawnUntil(claimer, args, "CLAIMED")
    assert.strictEqual(line, "CLAIMED 10")
    yield* ChildProcess.kill9(child)
    assert.strictEqual((yield* q.claim({ limit: 100 })).length, 0)
    assert.strictEqual((yield* q.stats).recipients.inflight, 10)
    yield* ChildProcess.sleepReal(1600)
    const claims = yield* q.claim({ limit: 100 })
    assert.strictEqual(claims.reduce((n, c) => n + c.recipients.length, 0), 10)
    for (const c of claims) {
      yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: Fixtures.ok })))
    }
    assert.strictEqual((yield* q.stats).messages, 0)
  })
