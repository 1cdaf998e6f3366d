/**
 * The queue the CLI acts on: the server's ({@link AppQueue.AppQueue.layerConfig}: the same settings, config file
 * and data directory), and never a new one. A command that reads or steers the queue must not create an empty
 * SQLite database where the operator's server has none (a wrong `CARTERO_DATA_DIR`, another working directory):
 * it would silently show an empty queue. So a missing database is an error naming the path and the setting.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Schema } from "effect"
import { existsSync } from "node:fs"
import { AppConfig } from "../AppConfig.ts"
import * as AppQueue from "../AppQueue.ts"
import * as ConfigFile from "../ConfigFile.ts"

/** There is no queue database where the settings point. */
export class NoQueueDatabase extends Schema.TaggedError<NoQueueDatabase>()("NoQueueDatabase", {
  path: Schema.String
}) {
  override get message(): string {
    return `no queue database at ${this.path}: set CARTERO_DATA_DIR to the server's data directory (or CARTERO_REDIS_URL for a Redis queue); the CLI does not create one`
  }
}

/** Fails with {@link NoQueueDatabase} when the selected store is SQLite and its file does not exist. */
export const requireExisting = Effect.gen(function*() {
  const choice = yield* AppQueue.choice
  if (choice._tag === "Sqlite" && !existsSync(choice.filename)) return yield* new NoQueueDatabase({ path: choice.filename })
})

/** `MailQueue` + `QueueStore` over the server's existing store, with the app's settings as an output. */
export const layer = Layer.unwrap(Effect.map(ConfigFile.load, ({ config }) =>
  AppQueue.AppQueue.layer.pipe(
    Layer.provide(Layer.effectDiscard(requireExisting)),
    Layer.provideMerge(AppConfig.layerProvider(config.settings))
  )))
