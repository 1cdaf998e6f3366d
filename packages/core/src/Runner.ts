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
 * @since 0.1.0
 */
import type { Header, Verdict } from "@cartero/smtp"
import { Effect } from "effect"
import * as Plugin from "./Plugin.ts"

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
): Effect.Effect<V | Verdict.Continue> => {
  const from = (start: number, headers: ReadonlyArray<Header.Header>): Effect.Effect<V | Verdict.Continue> => {
    for (let i = start; i < built.length; i++) {
      const entry = built[i]
      const effect = entry === undefined ? undefined : call(entry.hooks)
      if (entry === undefined || effect === undefined) continue
      const guarded = Plugin.guard(entry.plugin, phase, effect)
      return Effect.flatMap(
        onFailure === undefined
          ? Effect.catch(guarded, () => Effect.succeed<V | Verdict.Continue>({ _tag: "Continue", headers: [] }))
          : Effect.catch(guarded, () => Effect.succeed(onFailure)),
        (verdict): Effect.Effect<V | Verdict.Continue> => {
          if (verdict._tag === "Continue") {
            return from(i + 1, verdict.headers.length > 0 ? [...headers, ...verdict.headers] : headers)
          }
          return Effect.succeed(
            verdict._tag === "Accept" && headers.length > 0 ? { ...verdict, headers: [...headers, ...verdict.headers] } : verdict
          )
        }
      )
    }
    return Effect.succeed(headers.length === 0 ? continued : { _tag: "Continue", headers })
  }
  return Effect.suspend(() => from(0, []))
}

const continued: Verdict.Continue = { _tag: "Continue", headers: [] }

/** Runs an observing phase: every hook, in order; failures are logged (by `Plugin.guard`) and ignored. */
export const observe = <H>(
  built: ReadonlyArray<Plugin.Built<H>>,
  phase: string,
  call: (hooks: H) => Effect.Effect<void, unknown> | undefined
): Effect.Effect<void> =>
  Effect.forEach(built, ({ hooks, plugin }) => {
    const effect = call(hooks)
    return effect === undefined ? Effect.void : Effect.ignore(Plugin.guard(plugin, phase, effect))
  }, { discard: true })

/** Runs a collecting phase: every hook, in order, items concatenated; the first failing hook fails the phase. */
export const collect = <H, T>(
  built: ReadonlyArray<Plugin.Built<H>>,
  phase: string,
  call: (hooks: H) => Effect.Effect<ReadonlyArray<T>, unknown> | undefined
): Effect.Effect<ReadonlyArray<T>, Plugin.HookFailed> =>
  Effect.suspend(() => {
    const items: Array<T> = []
    return Effect.forEach(built, ({ hooks, plugin }) => {
      const effect = call(hooks)
      return effect === undefined
        ? Effect.void
        : Effect.map(Plugin.guard(plugin, phase, effect), (got) => {
          items.push(...got)
        })
    }, { discard: true }).pipe(Effect.as(items))
  })
