/**
 * A convenient error for plugins: an infrastructure failure inside a hook (a database down, a lookup that failed).
 * Hooks may fail with any error; this one carries a message for the log. The client only ever sees the generic
 * `451 4.3.0` reply.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

export class PluginError extends Data.TaggedError("PluginError")<{
  readonly plugin: string
  readonly message: string
  readonly cause?: unknown
}> {}
