import { randomBytes } from "node:crypto"
import { QueueStore } from "@cartero/queue"
import { Tamper } from "@cartero/queue/testing"
import { Context, Effect, Layer } from "effect"
import { Purge, RedisQueueStore } from "../src/index.ts"
import * as Keys from "../src/Keys.ts"

export const redisUrl = process.env["CARTERO_REDIS_URL"] ?? "redis://127.0.0.1:6379"

/** A prefix no other run uses. */
export const uniquePrefix = (): string => `cartero-test:${randomBytes(6).toString("hex")}:`

/** Deletes every key under `prefix` (never anything else). */
export const deleteKeys = (prefix: string, url = redisUrl): Promise<number> => Purge.prefix(url, prefix)

/** A Redis store under a fresh prefix whose keys are deleted when the layer closes. */
export const testLayer = (options: Omit<RedisQueueStore.Options, "prefix" | "url"> = {}): Layer.Layer<QueueStore.QueueStore, unknown> =>
  Layer.effect(
    QueueStore.QueueStore,
    Effect.gen(function*() {
      const prefix = uniquePrefix()
      yield* Effect.addFinalizer(() => Effect.promise(() => deleteKeys(prefix)))
      return yield* RedisQueueStore.make({ ...options, url: redisUrl, prefix })
    })
  )

/**
 * {@link testLayer} and its tamper hook: a raw client that rewrites a record's fields behind the store's back (the
 * conformance suite's quarantine cases).
 */
export const tamperableLayer = (
  options: Omit<RedisQueueStore.Options, "prefix" | "url"> = {}
): Layer.Layer<QueueStore.QueueStore | Tamper.Tamper, unknown> =>
  Layer.effectContext(Effect.gen(function*() {
    const prefix = uniquePrefix()
    yield* Effect.addFinalizer(() => Effect.promise(() => deleteKeys(prefix)))
    const store = yield* RedisQueueStore.make({ ...options, url: redisUrl, prefix })
    const raw = yield* Effect.acquireRelease(
      Effect.sync(() => new RedisQueueStore.Redis(redisUrl)),
      (c) => Effect.promise(() => c.quit().then(() => undefined, () => c.disconnect()))
    )
    const key = (id: string) => Keys.shard(prefix, Keys.shardOf(id, options.shards ?? 1)).message(id)
    const tamper: Tamper.Service = {
      envelope: (id, text) => Effect.promise(() => raw.hset(key(id), "env", text)).pipe(Effect.asVoid),
      reply: (id, index, text) => Effect.promise(() => raw.hset(key(id), `r:${index}`, text)).pipe(Effect.asVoid)
    }
    return Context.make(QueueStore.QueueStore, store).pipe(Context.add(Tamper.Tamper, tamper))
  }))
