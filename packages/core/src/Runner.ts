/**
 * The three shapes of a phase, each written once, for every pipeline (the inbound `Pipeline`, `@cartero/delivery`'s
 * `OutboundPipeline`). Hooks run in plugin order, each under its plugin's span and timeout (`Plugin.guard`).
 *
 * - {@link decide}: the first verdict that is not `Continue` wins and later plugins are not asked; headers of the
 *   `Continue` verdicts before it (and of a final `Accept`) are collected. A hook that fails answers the phase's
 *   `onFailure` verdict, or, without one, counts as `Continue`.
 * - {@link observe}: every hook runs; failures are logged and ignored.
 * - {@link collect}: every hook runs and its items are concatenated in plugin order; a failing hook fails the phase.
 *
 * A refusal a plugin decided (its verdict, or the phase's `onFailure` when its hook failed) remembers that plugin:
 * {@link decidedBy} names it, for the log line of the refusal. A refusal no plugin decided (a phase's default,
 * such as `rcptTo`'s default-deny) has no name: the server's own rule.
 *
 * Every hook call is timed and its answer counted ({@link PluginMetrics}).
 *
 * @since 0.1.0
 */
import type { Header, Verdict } from "@cartero/smtp"
import { Effect } from "effect"
import * as Plugin from "./Plugin.ts"
import * as PluginMetrics from "./PluginMetrics.ts"

/**
 * Runs a deciding phase. `call` gives a plugin's hook call, or `undefined` when the plugin has no hook for the
 * phase (the hooks are called when the phase runs, not when its effect is built).
 *
 * A plain loop over `flatMap` rather than `Effect.gen`: inbound, it runs for every SMTP command, and the generator
 * cost ≈ 1.8 µs per phase (docs/benchmarks.md, "Round 3").
 */
export const decide = <H, V extends Verdict.Verdict<unknown>>(
  built: ReadonlyArray<Plugin.Built<H>>,
  phase: string,
  call: (hooks: H) => Effect.Effect<V, unknown> | undefined,
  onFailure: V | undefined
): Effect.Effect<V | Verdict.Continue> =>
  Effect.withFiber((fiber) => {
    const context = fiber.context
    // `started`: when the previous hook ended (or the phase began). A hook is timed from there, so from before its
    // `call` (a hook may do its work while making its effect), with one clock read per hook, none for the plugins
    // without a hook for the phase (their `call` is a property read, counted in the next hook's time).
    const from = (start: number, headers: ReadonlyArray<Header.Header>, started: number): Effect.Effect<V | Verdict.Continue> => {
      for (let i = start; i < built.length; i++) {
        const entry = built[i]
        if (entry === undefined) continue
        const effect = call(entry.hooks)
        if (effect === undefined) continue
        const metrics = PluginMetrics.of(entry.plugin, phase)
        const next = (verdict: V | Verdict.Continue, ended: number): Effect.Effect<V | Verdict.Continue> => {
          if (verdict._tag === "Continue") {
            return from(i + 1, verdict.headers.length > 0 ? [...headers, ...verdict.headers] : headers, ended)
          }
          if (verdict._tag !== "Accept") return Effect.succeed(attribute(verdict, entry.plugin.name))
          return Effect.succeed(headers.length > 0 ? { ...verdict, headers: [...headers, ...verdict.headers] } : verdict)
        }
        return Effect.matchEffect(Plugin.guard(entry.plugin, phase, effect), {
          onFailure: () => next(onFailure ?? continued, PluginMetrics.record(metrics, started, "Failed", context)),
          onSuccess: (verdict) => next(verdict, PluginMetrics.record(metrics, started, verdict._tag, context))
        })
      }
      return Effect.succeed(headers.length === 0 ? continued : { _tag: "Continue", headers })
    }
    return from(0, [], PluginMetrics.now())
  })

const continued: Verdict.Continue = { _tag: "Continue", headers: [] }

// Keyed by a copy made for this one decision: verdicts are often shared constants (a plugin's `Reject` value, the
// core's `Replies`), which must not carry a name from one decision into another. Only refusals are copied, so the
// path of mail that goes through pays nothing.
const deciders = new WeakMap<object, string>()

/**
 * A copy of `verdict` that {@link decidedBy} attributes to `plugin` (the plugin whose verdict, or whose failed hook,
 * refused).
 */
export const attribute = <V extends object>(verdict: V, plugin: string): V => {
  const own = { ...verdict }
  deciders.set(own, plugin)
  return own
}

/** The plugin that decided this refusal (see {@link attribute}), or `undefined` when no plugin did. */
export const decidedBy = (verdict: object): string | undefined => deciders.get(verdict)

/** Runs an observing phase: every hook, in order; failures are logged (by `Plugin.guard`) and ignored. */
export const observe = <H>(
  built: ReadonlyArray<Plugin.Built<H>>,
  phase: string,
  call: (hooks: H) => Effect.Effect<void, unknown> | undefined
): Effect.Effect<void> =>
  Effect.withFiber((fiber) =>
    Effect.forEach(built, ({ hooks, plugin }) => {
      const started = PluginMetrics.now()
      const effect = call(hooks)
      if (effect === undefined) return Effect.void
      const metrics = PluginMetrics.of(plugin, phase)
      return Effect.match(Plugin.guard(plugin, phase, effect), {
        onFailure: () => PluginMetrics.record(metrics, started, "Failed", fiber.context),
        onSuccess: () => PluginMetrics.record(metrics, started, "Continue", fiber.context)
      })
    }, { discard: true })
  )

/** Runs a collecting phase: every hook, in order, items concatenated; the first failing hook fails the phase. */
export const collect = <H, T>(
  built: ReadonlyArray<Plugin.Built<H>>,
  phase: string,
  call: (hooks: H) => Effect.Effect<ReadonlyArray<T>, unknown> | undefined
): Effect.Effect<ReadonlyArray<T>, Plugin.HookFailed> =>
  Effect.withFiber((fiber) => {
    const items: Array<T> = []
    return Effect.forEach(built, ({ hooks, plugin }) => {
      const started = PluginMetrics.now()
      const effect = call(hooks)
      if (effect === undefined) return Effect.void
      const metrics = PluginMetrics.of(plugin, phase)
      return Effect.matchEffect(Plugin.guard(plugin, phase, effect), {
        onFailure: (failed) => {
          PluginMetrics.record(metrics, started, "Failed", fiber.context)
          return Effect.fail(failed)
        },
        onSuccess: (got) => {
          PluginMetrics.record(metrics, started, "Continue", fiber.context)
          items.push(...got)
          return Effect.void
        }
      })
    }, { discard: true }).pipe(Effect.as(items))
  })
