import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Redis } from "ioredis"
import { Purge } from "../src/index.ts"
import { redisUrl, uniquePrefix } from "./helpers.ts"

describe("Purge.prefix", () => {
  it.live("deletes every key under the prefix and nothing else", () =>
    Effect.promise(async () => {
      const mine = uniquePrefix()
      const other = uniquePrefix()
      const r = new Redis(redisUrl)
      try {
        for (let i = 0; i < 2500; i++) await r.set(`${mine}k${i}`, "x")
        await r.set(`${other}k`, "kept")
        assert.strictEqual(await Purge.prefix(redisUrl, mine), 2500)
        assert.deepStrictEqual(await r.keys(`${mine}*`), [])
        assert.strictEqual(await r.get(`${other}k`), "kept")
      } finally {
        await r.unlink(`${other}k`)
        await r.quit()
      }
    }))
})
