import { assert, describe, it } from "@effect/vitest"
import { Verdict } from "@cartero/smtp"
import { Deferred, Effect } from "effect"
import * as Bridge from "../src/Bridge.ts"

describe("Bridge.decide", () => {
  it.effect("a phase that needs no waiting is answered before decide returns", () =>
    Effect.gen(function*() {
      const bridge = yield* Bridge.make
      const answers: Array<Verdict.Verdict> = []
      bridge.decide("s1", Effect.succeed(Verdict.accept()), (v) => answers.push(v))
      assert.deepStrictEqual(answers, [Verdict.accept()])
      bridge.decide("s1", Effect.sync(() => Verdict.next), (v) => answers.push(v))
      assert.deepStrictEqual(answers, [Verdict.accept(), Verdict.next])
    }).pipe(Effect.scoped))

  it.effect("a phase that waits is answered once, when it ends", () =>
    Effect.gen(function*() {
      const bridge = yield* Bridge.make
      const gate = yield* Deferred.make<Verdict.Verdict>()
      const answered = yield* Deferred.make<Verdict.Verdict>()
      let calls = 0
      bridge.decide("s2", Deferred.await(gate), (v) => {
        calls++
        Deferred.doneUnsafe(answered, Effect.succeed(v))
      })
      assert.strictEqual(calls, 0)
      yield* Deferred.succeed(gate, Verdict.reject("5.7.1", "no"))
      const verdict = yield* Deferred.await(answered)
      assert.strictEqual(verdict._tag, "Reject")
      assert.strictEqual(calls, 1)
    }).pipe(Effect.scoped))

  it.effect("a phase that fails or dies is answered 451 4.3.0, at once", () =>
    Effect.gen(function*() {
      const bridge = yield* Bridge.make
      const answers: Array<Verdict.Verdict> = []
      bridge.decide("s3", Effect.die(new Error("boom")), (v) => answers.push(v))
      assert.deepStrictEqual(answers, [Verdict.tempFail])
    }).pipe(Effect.scoped))
})
