/**
 * A plugin is a typed value: a name, and an Effect that builds its hooks.
 *
 * The build effect runs once, when the pipeline layer is built, inside the pipeline's scope: resources it acquires
 * (connections, files, timers) are released at shutdown. Whatever services it needs (`Dns`, `MailQueue`, …) appear
 * in its requirements type, so an app that forgets to provide one does not compile. Hooks capture those services
 * in their closures; they themselves require nothing.
 *
 * ```ts
 * export const plugin = Plugin.make("reject-example", Effect.succeed({
 *   rcptTo: (_txn, rcpt) => Effect.succeed(
 *     rcpt.address.domain === "example.com" ? Verdict.reject("5.7.1", "No mail for example.com") : Verdict.next)
 * }))
 * ```
 *
 * @since 0.1.0
 */
import { Duration, type Effect, type Scope } from "effect"
import type { Hooks } from "./Hooks.ts"

/** The default time a hook may take before the pipeline answers 451 4.3.0 (as Haraka's plugin timeout). */
export const defaultTimeout: Duration.Duration = Duration.seconds(30)

/** A plugin whose build may fail with `E` and needs services `R`. */
export interface Plugin<out E = never, out R = never> {
  readonly name: string
  readonly build: Effect.Effect<Hooks, E, R | Scope.Scope>
  /** How long one hook call may take. */
  readonly timeout: Duration.Duration
}

/** Options of {@link make}. */
export interface Options {
  /** Per-hook timeout; default 30 seconds. */
  readonly timeout?: Duration.Input
}

const validName = /^[a-z0-9][a-z0-9._-]{0,63}$/

/**
 * Makes a plugin. `name` is lower-case (`[a-z0-9._-]`, used in span names `plugin.<name>.<phase>` and logs).
 * Throws a `TypeError` for an invalid name: that is a programming error, found at import time.
 */
export const make = <E = never, R = never>(
  name: string,
  build: Effect.Effect<Hooks, E, R>,
  options?: Options
): Plugin<E, Exclude<R, Scope.Scope>> => {
  if (!validName.test(name)) throw new TypeError(`invalid plugin name ${JSON.stringify(name)}`)
  return {
    name,
    build: build as Effect.Effect<Hooks, E, Exclude<R, Scope.Scope> | Scope.Scope>,
    timeout: options?.timeout === undefined ? defaultTimeout : Duration.fromInputUnsafe(options.timeout)
  }
}
