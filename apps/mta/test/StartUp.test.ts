/**
 * What an operator meets when starting the server: the documented duration examples are accepted by every setting
 * that takes a duration, a bad one is refused naming the variable, a relative data directory is read against the
 * directory the command was typed in, and a store that cannot be reached at start says why (its cause), not only
 * what.
 */
import { Dns } from "@cartero/dns"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as Net from "node:net"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { AppConfig, dataDirectory } from "../src/AppConfig.ts"
import * as AppQueue from "../src/AppQueue.ts"
import * as ProcessExit from "../src/ProcessExit.ts"

const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** Builds `layer` under `env` (plus the app's defaults) and closes it: its exit. */
const build = <A, E>(layer: Layer.Layer<A, E>, env: Record<string, string>) =>
  Effect.scoped(Layer.build(layer)).pipe(
    Effect.provide(AppConfig.layerProvider()),
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))),
    Effect.exit
  )

const failureText = <A, E>(exit: Exit.Exit<A, E>): string => {
  if (Exit.isSuccess(exit)) return "(succeeded)"
  const reason = exit.cause.reasons[0]
  return reason !== undefined && "error" in reason ? ProcessExit.describe(reason.error) : String(exit.cause)
}

/** A loopback port nobody listens on (bound, then released). */
const closedPort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = Net.createServer().listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 1
      server.close(() => resolve(port))
    })
  })
)

const withDir = <A, E>(body: (dir: string) => Effect.Effect<A, E>) =>
  Effect.suspend(() => {
    const dir = mkdtempSync(join(tmpdir(), "cartero-startup-"))
    return body(dir).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
  })

describe("start-up settings", () => {
  it.live("CARTERO_QUEUE_RETAIN=1h (the documented example) is accepted by the SQLite and the Redis queue", () =>
    withDir((dir) =>
      Effect.gen(function*() {
        const sqlite = yield* build(AppQueue.AppQueue.layer, { CARTERO_DATA_DIR: dir, CARTERO_QUEUE_RETAIN: "1h" })
        assert.isTrue(Exit.isSuccess(sqlite), failureText(sqlite))
        const prefix = `cartero-test:startup:${process.pid}:`
        const redis = yield* build(AppQueue.AppQueue.layer, { CARTERO_REDIS_URL: redisUrl, CARTERO_QUEUE_PREFIX: prefix, CARTERO_QUEUE_RETAIN: "1h" })
        assert.isTrue(Exit.isSuccess(redis), failureText(redis))
      })))

  it.live("a CARTERO_QUEUE_RETAIN in another syntax is refused with the shared message", () =>
    withDir((dir) =>
      Effect.gen(function*() {
        const exit = yield* build(AppQueue.AppQueue.layer, { CARTERO_DATA_DIR: dir, CARTERO_QUEUE_RETAIN: "1 hour" })
        assert.strictEqual(failureText(exit), `CARTERO_QUEUE_RETAIN: expected a duration such as 1h, got "1 hour"`)
      })))

  it.live("CARTERO_DNS_TIMEOUT=5s is accepted; `5 seconds` is refused naming the variable", () =>
    Effect.gen(function*() {
      const ok = yield* build(Dns.Dns.layerConfig, { CARTERO_DNS_TIMEOUT: "5s" })
      assert.isTrue(Exit.isSuccess(ok), failureText(ok))
      const bad = yield* build(Dns.Dns.layerConfig, { CARTERO_DNS_TIMEOUT: "5 seconds" })
      assert.strictEqual(failureText(bad), `CARTERO_DNS_TIMEOUT: expected a duration such as 5s, got "5 seconds"`)
    }))

  it("a relative CARTERO_DATA_DIR is read against the directory the command was typed in (INIT_CWD under pnpm)", () => {
    assert.strictEqual(dataDirectory("./data", { INIT_CWD: "/repo" }, "/repo/apps/mta"), "/repo/data")
    assert.strictEqual(dataDirectory("data", {}, "/somewhere"), "/somewhere/data")
    assert.strictEqual(dataDirectory("/srv/cartero", { INIT_CWD: "/repo" }, "/repo/apps/mta"), "/srv/cartero")
  })
})

describe("start-up errors", () => {
  it.live("Redis unreachable at start: the queue's error names the cause (ECONNREFUSED and the address)", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const exit = yield* build(AppQueue.AppQueue.layer, { CARTERO_REDIS_URL: `redis://127.0.0.1:${port}`, CARTERO_QUEUE_PREFIX: "cartero-test:never:" })
      assert.strictEqual(failureText(exit), `queue store unavailable during connect: connect ECONNREFUSED 127.0.0.1:${port}`)
    }))

  it("withCauses follows the chain and does not repeat a cause the message already holds", () => {
    const inner = new Error("connect ECONNREFUSED 127.0.0.1:6390")
    assert.strictEqual(ProcessExit.withCauses(new Error("store down", { cause: new Error("pool", { cause: inner }) })), "store down: pool: connect ECONNREFUSED 127.0.0.1:6390")
    assert.strictEqual(ProcessExit.withCauses(new Error("failed: connect ECONNREFUSED 127.0.0.1:6390", { cause: inner })), "failed: connect ECONNREFUSED 127.0.0.1:6390")
  })
})
