import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as UniqueName from "../src/UniqueName.ts"

describe("UniqueName", () => {
  it.effect("renders time.M<usec>P<pid>Q<counter>.<host>,S=<size>", () =>
    Effect.sync(() => {
      const name = UniqueName.format({ nanos: 1_700_000_000_123_456_789n, pid: 42, counter: 7, host: "mx.example", size: 1234 })
      assert.strictEqual(name, "1700000000.M123456P42Q7.mx.example,S=1234")
    }))

  it.effect("escapes / : , and backslash in the host name", () =>
    Effect.sync(() => {
      assert.strictEqual(UniqueName.sanitizeHost("a/b:c,d\\e"), "a\\057b\\072c\\054d\\134e")
      assert.strictEqual(UniqueName.sanitizeHost(""), "localhost")
    }))

  // it.effect runs on the TestClock: time stands still, so only the counter keeps names apart.
  it.effect("names are unique under concurrency, even within one clock tick", () =>
    Effect.gen(function*() {
      const names = yield* Effect.forEach(Array.from({ length: 2000 }, (_, i) => i), (i) => UniqueName.make(i % 3, "h"), {
        concurrency: "unbounded"
      })
      const withoutSize = names.map((n) => n.replace(/,S=\d+$/, ""))
      assert.strictEqual(new Set(withoutSize).size, names.length)
      for (const n of names) assert.match(n, /^\d+\.M\d+P\d+Q\d+\.h,S=\d$/)
    }))
})
