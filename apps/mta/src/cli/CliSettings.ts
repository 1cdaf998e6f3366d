/**
 * The settings the CLI reads, as the server reads them: the environment, then the config file's `settings`, then
 * the app's defaults (`AppConfig.layerProvider`), with the data directory resolved the same way. For commands that
 * need settings but no queue (`users`, `send`).
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { AppConfig } from "../AppConfig.ts"
import * as ConfigFile from "../ConfigFile.ts"

/** The app's settings provider, config file included. */
export const layer = Layer.unwrap(Effect.map(ConfigFile.load, ({ config }) => AppConfig.layerProvider(config.settings)))
