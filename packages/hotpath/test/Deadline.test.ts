import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import * as Deadline from "../src/Deadline.ts"

const twoSeconds = Duration.seconds(2)

describe("Deadline.within", () => {
  it.effect("an effect that is done at once gives its value", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* Deadline.within(Effect.succeed(42), twoSeconds), 42)
    }))

  it("an effect that is already an Exit is returned as is (no fiber, no timer)", () => {
    const done = Exit.succeed("verdict")
    assert.strictEqual(Deadline.within(done, twoSeconds), done)
    const failed = Exit.fail("boom")
    assert.strictEqual(Deadline.within(failed, twoSeconds), failed)
  })

  it.effect("the effect's own failure passes through, at once or later", () =>
    Effect.gen(function*() {
      const now = yield* Effect.exit(Deadline.within(Effect.fail("boom"), twoSeconds))
      assert.deepStrictEqual(now, Exit.fail("boom"))
      const fiber = yield* Effect.forkChild(
        Effect.exit(Deadline.within(Effect.sleep("1 second").pipe(Effect.andThen(Effect.fail("late boom"))), twoSeconds))
      )
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(yield* Fiber.join(fiber), Exit.fail("late boom"))
    }))

  it.effect("an effect that suspends finishes before the deadline with its value (TestClock)", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.forkChild(Deadline.within(Effect.sleep("1999 millis").pipe(Effect.as("ok")), twoSeconds))
      yield* TestClock.adjust("1999 millis")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
    }))

  it.effect("past the deadline: TimeoutError, and the effect is interrupted (TestClock)", () =>
    Effect.gen(function*() {
      const interrupted = yield* Ref.make(false)
      const slow = Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))
      const fiber = yield* Effect.forkChild(Effect.exit(Deadline.within(slow, twoSeconds)))
      yield* TestClock.adjust("1999 millis")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit) && Cause.hasFails(exit.cause))
      if (Exit.isFailure(exit)) {
        const error = Cause.squash(exit.cause)
        assert.isTrue(Cause.isTimeoutError(error))
      }
      assert.isTrue(yield* Ref.get(interrupted))
    }))

  it.effect("interrupting the caller interrupts the effect", () =>
    Effect.gen(function*() {
      const interrupted = yield* Ref.make(false)
      const slow = Effect.never.pipe(Effect.onInterrupt(() => Ref.set(interrupted, true)))
      const fiber = yield* Effect.forkChild(Deadline.within(slow, twoSeconds))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* Ref.get(interrupted))
    }))
})
