/**
 * The state policy plugins keep between SMTP sessions (rate-limit counters, greylisting triplets), as one service
 * the app provides, so that a plugin gets the right backend without knowing the deployment:
 *
 * | backend | counters | records | when |
 * |---|---|---|---|
 * | `redis` | shared by every process and host on the Redis | shared, Redis TTLs | the queue is on Redis (`CARTERO_REDIS_URL`) |
 * | `sqlite` | in this process's memory (bounded) | `<data dir>/policy.sqlite` | the queue is on SQLite |
 * | `memory` | in memory (bounded) | in memory (bounded) | tests, embedding |
 *
 * Counters on the SQLite deployment stay in memory: a write per connection and per recipient is what the queue's
 * database should not pay, and a single-host MTA loses little with the counters at a restart. (With
 * `CARTERO_PROCESSES` > 1 on SQLite each process counts on its own: use Redis to share limits.)
 *
 * Each plugin takes its own namespace (`store.counters("rate-limit")`, `store.records("greylist")`), so their keys
 * never meet. Time is read through Effect's `Clock` in every backend.
 *
 * ```ts
 * PolicyStore.PolicyStore.layerMemory()                               // tests
 * PolicyStore.PolicyStore.layerRedis({ url, prefix: "cartero:policy:" })
 * PolicyStore.PolicyStore.layerSqlite({ filename: "data/policy.sqlite" })
 * PolicyStore.PolicyStore.layerConfig                                 // the app: like its queue
 * ```
 *
 * @since 0.1.0
 */
import { Setting } from "@cartero/settings"
import { Config, Context, Effect, Layer, Option, Redacted } from "effect"
import { join } from "node:path"
import type { Counters } from "./Counters.ts"
import * as MemoryBackend from "./MemoryBackend.ts"
import type { PolicyStoreError } from "./PolicyStoreError.ts"
import type { Records } from "./Records.ts"
import * as RedisBackend from "./RedisBackend.ts"
import * as SqliteBackend from "./SqliteBackend.ts"

/** Which backend a store uses. */
export type Backend = "redis" | "sqlite" | "memory"

/** The service. */
export interface Shape {
  readonly backend: Backend
  /** Sliding-window counters of `namespace` (the same object for the same namespace). */
  readonly counters: (namespace: string) => Counters
  /** Expiring records of `namespace` (the same object for the same namespace). */
  readonly records: (namespace: string) => Records
}

/** Namespaces are short names (`rate-limit`, `greylist`): they are part of every key. */
const validNamespace = /^[a-z0-9][a-z0-9._-]{0,31}$/

const memoise = <A>(make: (namespace: string) => A) => {
  const made = new Map<string, A>()
  return (namespace: string): A => {
    if (!validNamespace.test(namespace)) throw new TypeError(`invalid policy store namespace ${JSON.stringify(namespace)}`)
    const existing = made.get(namespace)
    if (existing !== undefined) return existing
    const fresh = make(namespace)
    made.set(namespace, fresh)
    return fresh
  }
}

const memoryShape = (options: MemoryBackend.Options): Shape => ({
  backend: "memory",
  counters: memoise(() => MemoryBackend.counters(options)),
  records: memoise(() => MemoryBackend.records(options))
})

/** Options of {@link PolicyStore.layerConfig}. */
export type Choice =
  | { readonly _tag: "Redis"; readonly url: Redacted.Redacted<string>; readonly prefix: string }
  | { readonly _tag: "Sqlite"; readonly filename: string }

/**
 * The backend the environment selects, by the rule the app uses for its queue: `CARTERO_REDIS_URL` set (non-empty)
 * → Redis at that URL under `CARTERO_POLICY_PREFIX` (default `cartero:policy:`, apart from the queue's keys);
 * otherwise SQLite at `$CARTERO_DATA_DIR/policy.sqlite` (default `./data`), beside the queue's database.
 */
export const choice: Config.Config<Choice> = Config.all({
  url: Config.option(Config.Redacted("CARTERO_REDIS_URL")),
  prefix: Setting.config(
    "CARTERO_POLICY_PREFIX",
    "a key prefix of letters, digits and :_.- (at most 64)",
    (s) => (RedisBackend.isValidPrefix(s.trim()) ? s.trim() : undefined)
  ).pipe(Config.withDefault(RedisBackend.defaultPrefix)),
  dir: Config.String("CARTERO_DATA_DIR").pipe(Config.withDefault("./data"))
}).pipe(Config.map(({ dir, prefix, url }): Choice =>
  Option.isSome(url) && Redacted.value(url.value).trim() !== ""
    ? { _tag: "Redis", url: url.value, prefix }
    : { _tag: "Sqlite", filename: join(dir, "policy.sqlite") }
))

/** The policy store service. */
export class PolicyStore extends Context.Service<PolicyStore, Shape>()("@cartero/policy-store/PolicyStore") {
  /** Everything in this process's memory, bounded (`maxKeys` per namespace, default 100 000). */
  static readonly layerMemory = (options: MemoryBackend.Options = {}): Layer.Layer<PolicyStore> =>
    Layer.sync(PolicyStore, () => PolicyStore.of(memoryShape(options)))

  /** Counters and records on Redis (shared across processes and hosts); the connection closes with the layer. */
  static readonly layerRedis = (options: RedisBackend.Options = {}): Layer.Layer<PolicyStore, PolicyStoreError> =>
    Layer.effect(
      PolicyStore,
      Effect.gen(function*() {
        const prefix = options.prefix ?? RedisBackend.defaultPrefix
        if (!RedisBackend.isValidPrefix(prefix)) return yield* Effect.die(new TypeError(`invalid Redis key prefix ${JSON.stringify(prefix)}`))
        const client = yield* RedisBackend.connect(options)
        const backend = RedisBackend.make(client, prefix)
        return PolicyStore.of({ backend: "redis", counters: memoise(backend.counters), records: memoise(backend.records) })
      })
    )

  /** Records in a SQLite file, counters in memory (bounded); the database closes with the layer. */
  static readonly layerSqlite = (
    options: SqliteBackend.Options & MemoryBackend.Options
  ): Layer.Layer<PolicyStore, PolicyStoreError> =>
    Layer.effect(
      PolicyStore,
      Effect.map(SqliteBackend.open(options), (db) =>
        PolicyStore.of({
          backend: "sqlite",
          counters: memoise(() => MemoryBackend.counters(options)),
          records: memoise((namespace) => SqliteBackend.records(db, namespace))
        }))
    )

  /** The backend the environment selects ({@link choice}): what the reference app provides to its plugins. */
  static readonly layerConfig: Layer.Layer<PolicyStore, PolicyStoreError | Config.ConfigError> = Layer.unwrap(
    Effect.map(choice, (c) =>
      c._tag === "Redis"
        ? PolicyStore.layerRedis({ url: Redacted.value(c.url), prefix: c.prefix })
        : PolicyStore.layerSqlite({ filename: c.filename }))
  )
}
