import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import * as Cli from "../src/Cli.ts"

const ok = (argv: ReadonlyArray<string>): Cli.Options => {
  const r = Cli.parse(argv)
  if (Result.isFailure(r)) throw new Error(r.failure)
  return r.success
}
const error = (argv: ReadonlyArray<string>): string => {
  const r = Cli.parse(argv)
  return Result.isFailure(r) ? r.failure : "parsed"
}

describe("Cli.parse", () => {
  it("tolerates the leading -- that pnpm passes through", () => {
    const o = ok(["--", "accept", "--concurrency", "5", "--messages", "20", "--json"])
    assert.strictEqual(o.scenario, "accept")
    assert.strictEqual(o.concurrency, 5)
    assert.strictEqual(o.messages, 20)
    assert.isTrue(o.json)
  })

  it("reads every option", () => {
    const o = ok([
      "e2e", "--target", "127.0.0.1:2525", "--pid", "42", "--label", "haraka", "--size", "100", "--pipelining", "off",
      "--new-connection", "--store", "redis", "--redis-url", "redis://127.0.0.1:6390", "--recipients-domain", "x.test",
      "--timeout", "2.5", "--read-timeout", "1", "--runs", "3", "--warmup", "50", "--sink-port", "2600",
      "--delivery-workers", "4", "--processes", "2", "--hold", "1000", "--slow-data", "30"
    ])
    assert.strictEqual(o.deliveryWorkers, 4)
    assert.strictEqual(o.processes, 2)
    assert.strictEqual(o.hold, 1000)
    assert.strictEqual(o.slowDataSeconds, 30)
    assert.deepStrictEqual(o.target, { host: "127.0.0.1", port: 2525 })
    assert.strictEqual(o.pid, 42)
    assert.strictEqual(o.label, "haraka")
    assert.strictEqual(o.size, 100)
    assert.isFalse(o.pipelining)
    assert.isTrue(o.newConnection)
    assert.strictEqual(o.store, "redis")
    assert.strictEqual(o.redisUrl, "redis://127.0.0.1:6390")
    assert.strictEqual(o.recipientsDomain, "x.test")
    assert.strictEqual(o.timeoutSeconds, 2.5)
    assert.strictEqual(o.readTimeoutSeconds, 1)
    assert.strictEqual(o.runs, 3)
    assert.strictEqual(o.warmup, 50)
    assert.strictEqual(o.sinkPort, 2600)
    assert.deepStrictEqual(ok(["accept", "--target", "[::1]:25"]).target, { host: "::1", port: 25 })
    const full = ok(["accept", "--pipelining", "full"])
    assert.isTrue(full.pipelining && full.pipelineAfterData)
    const on = ok(["accept"])
    assert.isTrue(on.pipelining && !on.pipelineAfterData)
  })

  it("reads --recipe, for accept against a spawned Cartero only", () => {
    assert.strictEqual(ok(["accept"]).recipe, "relay")
    assert.strictEqual(ok(["accept", "--recipe", "bare-mx"]).recipe, "bare-mx")
    assert.strictEqual(ok(["accept", "--recipe", "mx", "--runs", "3"]).recipe, "mx")
    assert.strictEqual(ok(["e2e", "--recipe", "relay"]).recipe, "relay")
    assert.strictEqual(error(["accept", "--recipe", "submission"]), "--recipe: expected one of relay, bare-mx, mx")
    assert.strictEqual(error(["e2e", "--recipe", "mx"]), "--recipe mx: only for accept against a spawned Cartero (no --target)")
    assert.strictEqual(
      error(["accept", "--recipe", "bare-mx", "--target", "127.0.0.1:25"]),
      "--recipe bare-mx: only for accept against a spawned Cartero (no --target)"
    )
  })

  it("names what is wrong", () => {
    assert.strictEqual(error(["bogus"]), "unknown scenario \"bogus\"")
    assert.strictEqual(error(["accept", "--concurrency", "0"]), "--concurrency: expected an integer 1-10000, got \"0\"")
    assert.strictEqual(error(["accept", "--messages"]), "--messages needs a value")
    assert.strictEqual(error(["accept", "--store", "disk"]), "--store: expected one of sqlite, redis")
    assert.match(error(["accept", "--store", "memory"]), /removed: Cartero only answers 250 after a durable write/)
    assert.strictEqual(error(["accept", "--target", "localhost"]), "--target: expected host:port, got \"localhost\"")
    assert.strictEqual(error(["accept", "--frobnicate"]), "unknown option \"--frobnicate\"")
    assert.strictEqual(ok([]).scenario, "help")
  })
})
