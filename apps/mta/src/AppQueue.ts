/**
 * Which queue store a Cartero process uses, chosen from the environment — the one rule shared by the server, the
 * delivery workers and the `cartero queue` CLI, so that an operator's commands always act on the queue the server
 * writes to:
 *
 * - `CARTERO_REDIS_URL` set (non-empty) → Redis (`RedisQueueStore.RedisQueueStore.layerConfig`: `CARTERO_QUEUE_PREFIX`,
 *   `CARTERO_QUEUE_SHARDS`, `CARTERO_QUEUE_RETAIN`);
 * - otherwise → SQLite at `$CARTERO_DATA_DIR/queue.sqlite` (`SqliteQueueStore.SqliteQueueStore.layerConfig`, default `./data`;
 *   under {@link AppConfig.layerProvider} a relative directory is read against the directory the command was typed
 *   in, so `pnpm start` and `pnpm cartero` at the repository's root share its `./data`).
 *
 * ```ts
 * const QueueLive = AppQueue.AppQueue.layer            // MailQueue + QueueStore, both from the environment
 * ```
 *
 * @since 0.1.0
 */
import { MailQueue, QueueError } from "@cartero/queue"
import type { QueueStore } from "@cartero/queue"
import { RedisQueueStore } from "@cartero/queue-redis"
import { SqliteQueueStore } from "@cartero/queue-sqlite"
import { Config, Effect, Layer, Option, Redacted } from "effect"
import { join } from "node:path"
import { AppConfig } from "./AppConfig.ts"
import * as ConfigFile from "./ConfigFile.ts"

/** The store the environment selects, for start-up logs and `cartero queue stats` (no secrets). */
export type Choice =
  | { readonly _tag: "Redis"; readonly url: Redacted.Redacted<string>; readonly prefix: string }
  | { readonly _tag: "Sqlite"; readonly filename: string }

/** Reads the choice; an empty `CARTERO_REDIS_URL` counts as unset (so `CARTERO_REDIS_URL=` selects SQLite). */
export const choice: Config.Config<Choice> = Config.all({
  url: Config.option(Config.Redacted("CARTERO_REDIS_URL")),
  prefix: Config.String("CARTERO_QUEUE_PREFIX").pipe(Config.withDefault("cartero:")),
  dir: Config.String("CARTERO_DATA_DIR").pipe(Config.withDefault("./data"))
}).pipe(Config.map(({ dir, prefix, url }): Choice =>
  Option.isSome(url) && Redacted.value(url.value).trim() !== ""
    ? { _tag: "Redis", url: url.value, prefix }
    : { _tag: "Sqlite", filename: join(dir, "queue.sqlite") }
))

/** One line naming the store, without the Redis password: `redis 127.0.0.1:6379 prefix cartero:`. */
export const describe = (c: Choice): string => {
  if (c._tag === "Sqlite") return `sqlite ${c.filename}`
  const raw = Redacted.value(c.url)
  // A URL that does not parse is still reported, minus anything that could be a credential.
  const where = URL.canParse(raw) ? new URL(raw).host : "(unparsable url)"
  return `redis ${where} prefix ${c.prefix}`
}

/** The app's queue layers. */
export class AppQueue {
  private constructor() {}

  /** The `QueueStore` the environment selects (see the module comment). */
  static readonly layerStore: Layer.Layer<QueueStore.QueueStore, QueueError.QueueUnavailable | Config.ConfigError> = Layer.unwrap(
    Effect.map(choice, (c) => (c._tag === "Redis" ? RedisQueueStore.RedisQueueStore.layerConfig : SqliteQueueStore.SqliteQueueStore.layerConfig))
  )

  /**
   * `MailQueue` over the selected store; the store is an output too, for code that needs `awaitWork` or the raw
   * contract.
   */
  static readonly layer: Layer.Layer<
    MailQueue.MailQueue | QueueStore.QueueStore,
    QueueError.QueueUnavailable | Config.ConfigError
  > = MailQueue.MailQueue.layer.pipe(Layer.provideMerge(AppQueue.layerStore))

  /**
   * {@link layer} as the app would select it: the config file's settings (`cartero.config.ts`, `CARTERO_CONFIG`)
   * behind the environment and before the app's defaults, so that `cartero queue …` acts on the queue the server
   * writes to. The settings are an output too: everything the command reads sees them.
   */
  static readonly layerConfig = Layer.unwrap(Effect.map(ConfigFile.load, ({ config }) =>
    AppQueue.layer.pipe(Layer.provideMerge(AppConfig.layerProvider(config.settings)))))
}
