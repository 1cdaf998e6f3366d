/**
 * Log lines on stdout, one per event: logfmt (default) or JSON lines (`CARTERO_LOG_FORMAT=json`), filtered by
 * `CARTERO_LOG_LEVEL`. Replaces Effect's default pretty logger, so that what a process supervisor or a log
 * shipper reads is machine-parseable; the formats are `LogFormat`'s (one value per key).
 *
 * @since 0.1.0
 */
import { Effect, Layer, Logger, References } from "effect"
import { AppConfig } from "./AppConfig.ts"
import * as LogFormat from "./LogFormat.ts"

/** The app's logging layer. */
export class Logging {
  private constructor() {}

  /** The logger and minimum level from {@link AppConfig}. */
  static readonly layer: Layer.Layer<never, never, AppConfig> = Layer.unwrap(
    Effect.gen(function*() {
      const config = yield* AppConfig
      return Layer.mergeAll(
        Logger.layer([Logger.withConsoleLog(config.logFormat === "json" ? LogFormat.json : LogFormat.logfmt)]),
        Layer.succeed(References.MinimumLogLevel, config.logLevel)
      )
    })
  )
}
