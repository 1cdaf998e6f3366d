import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { existsSync } from "node:fs"
import { PolicyStore } from "../src/index.ts"
import { deleteKeys, redisUrl } from "./helpers.ts"

const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))

describe("PolicyStore.layerConfig", () => {
  it.effect("selects Redis when CARTERO_REDIS_URL is set, under CARTERO_POLICY_PREFIX", () =>
    Effect.gen(function*() {
      const c = yield* PolicyStore.choice
      assert.deepStrictEqual(c._tag === "Redis" ? [Redacted.value(c.url), c.prefix] : [], ["redis://h:1", "p:"])
      const d = yield* PolicyStore.choice.pipe(withEnv({ CARTERO_REDIS_URL: "redis://h:1" }))
      assert.deepStrictEqual(d._tag === "Redis" ? d.prefix : "", "cartero:policy:")
    }).pipe(withEnv({ CARTERO_REDIS_URL: "redis://h:1", CARTERO_POLICY_PREFIX: "p:" })))

  it.effect("selects SQLite in the data directory otherwise (an empty CARTERO_REDIS_URL counts as unset)", () =>
    Effect.gen(function*() {
      const dir = yield* TempDir.make()
      const c = yield* PolicyStore.choice.pipe(withEnv({ CARTERO_DATA_DIR: dir, CARTERO_REDIS_URL: "" }))
      assert.deepStrictEqual(c, { _tag: "Sqlite", filename: `${dir}/policy.sqlite` })
      const store = yield* PolicyStore.PolicyStore.pipe(Effect.provide(PolicyStore.PolicyStore.layerConfig), withEnv({ CARTERO_DATA_DIR: dir }))
      assert.strictEqual(store.backend, "sqlite")
      assert.isTrue(existsSync(`${dir}/policy.sqlite`))
    }).pipe(Effect.scoped))

  it.live("builds the Redis store from the settings", () =>
    Effect.gen(function*() {
      const store = yield* PolicyStore.PolicyStore.pipe(
        Effect.provide(PolicyStore.PolicyStore.layerConfig),
        withEnv({ CARTERO_REDIS_URL: redisUrl, CARTERO_POLICY_PREFIX: "cartero-test:policy:config:" })
      )
      assert.strictEqual(store.backend, "redis")
    }).pipe(Effect.ensuring(Effect.promise(() => deleteKeys("cartero-test:policy:config:")))))

  it.effect("a bad prefix stops start-up naming the variable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(PolicyStore.choice.pipe(withEnv({ CARTERO_REDIS_URL: "redis://h:1", CARTERO_POLICY_PREFIX: "{x}" })))
      assert.include(String(error), "CARTERO_POLICY_PREFIX: expected a key prefix")
    }))
})
