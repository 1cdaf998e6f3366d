import { assert, describe, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Notes from "../src/Notes.ts"
import { connection, transaction } from "./helpers.ts"

describe("Notes", () => {
  it.effect("get/set/update are typed and keyed by identity", () =>
    Effect.gen(function*() {
      const Spf = Notes.make<"pass" | "fail">("spf")
      const Spf2 = Notes.make<number>("spf")
      const txn = transaction()
      assert.isTrue(Option.isNone(yield* Spf.get(txn)))
      yield* Spf.set(txn, "pass")
      yield* Spf2.set(txn, 7)
      assert.deepStrictEqual(yield* Spf.get(txn), Option.some("pass"))
      assert.deepStrictEqual(yield* Spf2.get(txn), Option.some(7))
      const n = yield* Spf2.update(txn, (o) => Option.getOrElse(o, () => 0) + 1)
      assert.strictEqual(n, 8)
    }))

  it.effect("connection and transaction notes are separate", () =>
    Effect.gen(function*() {
      const Count = Notes.make<number>("count")
      const conn = connection()
      const txn = transaction({ connection: conn })
      yield* Count.set(conn, 1)
      assert.isTrue(Option.isNone(yield* Count.get(txn)))
      assert.deepStrictEqual(Count.unsafeGet(conn), Option.some(1))
    }))
})
