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
 * The hooks record is exact: a hook name that is not a phase (`rcpTo`) is a type error, and for code the compiler
 * did not check (JavaScript, casts) building the plugin fails with `plugin "x": unknown hook "rcpTo"`.
 *
 * The inbound pipeline's plugins have {@link Hooks}; the delivery side's outbound plugins are the same shape with
 * their own hooks record (`@cartero/delivery`'s `OutboundHooks.make`, made with {@link makeOf}), built and run by
 * the same {@link buildAll} and `Runner`.
 *
 * @since 0.1.0
 */
import { Deadline } from "@cartero/hotpath"
import { Cause, Context, Duration, Effect, References, type Scope, Tracer } from "effect"
import { type Hooks, phases } from "./Hooks.ts"

/** The default time a hook may take before the pipeline gives up on it (as Haraka's plugin timeout). */
export const defaultTimeout: Duration.Duration = Duration.seconds(30)

/** A plugin whose build may fail with `E`, needs services `R`, and yields hooks `H` (inbound `Hooks` by default). */
export interface Plugin<out E = never, out R = never, out H = Hooks> {
  readonly name: string
  readonly build: Effect.Effect<H, E, R | Scope.Scope>
  /** How long one hook call may take. */
  readonly timeout: Duration.Duration
}

/** Options of {@link make}. */
export interface Options {
  /** Per-hook timeout; default 30 seconds. */
  readonly timeout?: Duration.Input
}

/**
 * Compile-time exactness of a hooks record: `unknown` when every key of `H` is a hook of `Shape`, otherwise a type
 * no Effect has, whose only property names the offending keys (the compiler's message then shows them).
 */
export type Exact<H, Shape> = [H] extends [never] ? unknown
  : [Exclude<keyof H, keyof Shape>] extends [never] ? unknown
  : { readonly "unknown hook": Exclude<keyof H, keyof Shape> }

const validName = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** Fails the build with a clear message when the hooks record has a key that is not one of `known`. */
const checked = <H>(name: string, known: ReadonlyArray<string>, hooks: H): Effect.Effect<H> => {
  if (typeof hooks !== "object" || hooks === null) {
    return Effect.die(new TypeError(`plugin ${JSON.stringify(name)}: build must return a hooks object, got ${typeof hooks}`))
  }
  for (const key of Object.keys(hooks)) {
    if (!known.includes(key)) {
      return Effect.die(new TypeError(`plugin ${JSON.stringify(name)}: unknown hook ${JSON.stringify(key)}; hooks are ${known.join(", ")}`))
    }
  }
  return Effect.succeed(hooks)
}

/**
 * The `make` of plugins whose hooks record is `Shape`, whose hook names are `known`. `name` is lower-case
 * (`[a-z0-9._-]`, used in span names `plugin.<name>.<phase>` and logs); an invalid name throws a `TypeError` (a
 * programming error, found at import).
 */
export const makeOf = <Shape>(known: ReadonlyArray<keyof Shape & string>) =>
<H extends Shape, E = never, R = never>(
  name: string,
  build: Effect.Effect<H, E, R> & Exact<H, Shape>,
  options?: Options
): Plugin<E, Exclude<R, Scope.Scope>, Shape> => {
  if (!validName.test(name)) throw new TypeError(`invalid plugin name ${JSON.stringify(name)}`)
  const effect: Effect.Effect<H, E, R> = build
  return {
    name,
    build: Effect.flatMap(effect, (hooks) => checked(name, known, hooks)) as Effect.Effect<
      Shape,
      E,
      Exclude<R, Scope.Scope> | Scope.Scope
    >,
    timeout: options?.timeout === undefined ? defaultTimeout : Duration.fromInputUnsafe(options.timeout)
  }
}

/** Makes an inbound plugin. */
export const make = makeOf<Hooks>(phases)

/** A plugin with its built hooks. */
export interface Built<H> {
  readonly plugin: Plugin<unknown, unknown, H>
  readonly hooks: H
}

/** The build error of a list of plugins (the union of theirs). */
export type ErrorOf<P> = P extends Plugin<infer E, infer _R, infer _H> ? E : never
/** The requirements of a list of plugins (the union of theirs). */
export type RequirementsOf<P> = P extends Plugin<infer _E, infer R, infer _H> ? R : never

/**
 * Builds plugins sequentially, in array order (which is the hook order: `Layer.mergeAll` would build them
 * concurrently), each in a span `plugin.<name>.build`.
 */
export const buildAll = <H, const Plugins extends ReadonlyArray<Plugin<unknown, unknown, H>>>(
  plugins: Plugins
): Effect.Effect<ReadonlyArray<Built<H>>, ErrorOf<Plugins[number]>, RequirementsOf<Plugins[number]> | Scope.Scope> =>
  Effect.forEach(plugins, (plugin) =>
    plugin.build.pipe(
      Effect.map((hooks): Built<H> => ({ plugin, hooks })),
      Effect.withSpan(`plugin.${plugin.name}.build`)
    )) as Effect.Effect<ReadonlyArray<Built<H>>, ErrorOf<Plugins[number]>, RequirementsOf<Plugins[number]> | Scope.Scope>

/** Why a guarded hook call produced no result (the cause is already logged). */
export type HookFailed = "HookFailed"

/**
 * Runs one hook call in a span `plugin.<name>.<phase>` under the plugin's timeout. A failure, a defect or a
 * timeout is logged with the plugin's name, the phase and the cause, and becomes `HookFailed`: each phase decides
 * what that means (`451 4.3.0` inbound). Interruption (the client left, shutdown) propagates.
 *
 * The span is made when a tracer is installed (an OpenTelemetry exporter, a test tracer), tracing is enabled and
 * the call is already inside a span (a message's `smtp.message` or `delivery.attempt`): with Effect's native tracer
 * nobody can read it, and it cost ≈ 7 µs per hook, several hooks per message (docs/benchmarks.md, "Round 3"); and
 * outside a span (the commands before DATA) each call would be a trace of its own, one per command.
 */
export const guard = <A>(
  plugin: Plugin<unknown, unknown, unknown>,
  phase: string,
  effect: Effect.Effect<A, unknown>
): Effect.Effect<A, HookFailed> =>
  Effect.withFiber((fiber) => {
    const timed = Deadline.within(effect, plugin.timeout)
    const traced = fiber.getRef(References.TracerEnabled) && fiber.getRef(Tracer.Tracer) !== Tracer.nativeTracer &&
      Context.getOrUndefined(fiber.context, Tracer.ParentSpan) !== undefined
      // No stack capture: this runs for every hook of every command; the span keeps its name and timing.
      ? timed.pipe(Effect.withSpan(`plugin.${plugin.name}.${phase}`, undefined, { captureStackTrace: false }))
      : timed
    return Effect.catchCause(traced, (cause) =>
      Cause.hasInterruptsOnly(cause)
        ? Effect.failCause(cause)
        : Effect.logError("plugin hook failed", cause).pipe(
          Effect.annotateLogs({ plugin: plugin.name, phase }),
          Effect.andThen(Effect.fail("HookFailed" as const))
        ))
  }) as Effect.Effect<A, HookFailed>
