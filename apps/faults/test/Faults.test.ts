/**
 * The harness end to end, cheaply: `flapping-next-hop` with 5 messages and one short cycle, against the real app
 * bundle, a real sink and real sockets — so that the matrix cannot rot between full runs (which are not part of
 * `pnpm test`: they take minutes). Plus the command line.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as Cli from "../src/Cli.ts"
import * as Matrix from "../src/Matrix.ts"
import * as Mta from "../src/Mta.ts"
import * as Flapping from "../src/scenarios/Flapping.ts"

describe("fault matrix", () => {
  it.live("flapping-next-hop: every accepted message delivered, the refusals seen as deferrals", () =>
    Effect.gen(function*() {
      const notes: Array<string> = []
      const scenario = Flapping.make({ cycles: 1, phase: "1 second" })
      const bundle = yield* Mta.bundle
      const row = yield* Matrix.runOne(scenario, { bundle, messages: 5, store: undefined, note: (t) => notes.push(t) })
      assert.strictEqual(row.scenario, "flapping-next-hop")
      assert.strictEqual(row.store, "sqlite")
      assert.strictEqual(row.sent, 5)
      assert.strictEqual(row.accepted, 5, row.notes.join(" | "))
      assert.strictEqual(row.delivered, 5, row.notes.join(" | "))
      assert.strictEqual(row.lost, 0)
      assert.isTrue(row.details["settled"], row.notes.join(" | "))
      assert.isFalse(Matrix.failed(row))
      // The first phase refuses connections while the first deliveries are attempted: the app defers them.
      assert.match(row.notes.join(" | "), /deliveries deferred with: .*connection refused/)
    }).pipe(Effect.scoped), 60_000)

  it("parses scenarios and options, skipping the -- pnpm passes through", () => {
    const names = Matrix.scenarios.map((s) => s.name)
    const parsed = Cli.parse(["--", "kill-accept", "dns-down", "--messages", "5", "--json", "--store", "redis"], names)
    assert.isTrue(Result.isSuccess(parsed))
    if (Result.isSuccess(parsed)) {
      assert.deepStrictEqual(parsed.success.scenarios, ["kill-accept", "dns-down"])
      assert.strictEqual(parsed.success.messages, 5)
      assert.isTrue(parsed.success.json)
      assert.strictEqual(parsed.success.store, "redis")
    }
    const bad = Cli.parse(["no-such-fault"], names)
    assert.isTrue(Result.isFailure(bad) && bad.failure.includes("unknown scenario"))
    assert.isTrue(Result.isFailure(Cli.parse(["--messages", "0"], names)))
  })

  it("lists the scenarios the issue asks for", () => {
    assert.deepStrictEqual(Matrix.scenarios.map((s) => s.name), [
      "kill-accept",
      "kill-delivery",
      "redis-restart",
      "redis-down-start",
      "redis-down-mid",
      "disk-full-maildir",
      "disk-full-sqlite",
      "dns-down",
      "flapping-next-hop"
    ])
  })
})
