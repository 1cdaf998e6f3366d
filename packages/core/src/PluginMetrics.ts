/**
 * Metrics of plugin hooks, recorded by `Runner` for every hook call of every pipeline (inbound and outbound):
 *
 * - `cartero_plugin_hook_ms{phase, plugin}`: how long one hook call took, milliseconds (a histogram from 0.05 ms to
 *   ~13 s: most hooks answer in microseconds, a DNS or Redis round trip takes milliseconds);
 * - `cartero_plugin_verdicts_total{phase, plugin, verdict}`: what each call answered, `verdict` one of
 *   `continue | accept | reject | defer | disconnect | failed` (`failed`: the hook failed, died or ran past its
 *   timeout). Observing and collecting phases (`disconnect`, `delivered`, `beforeSend`) count `continue` or `failed`.
 *
 * The label set is bounded: plugin names are fixed when the pipeline is built, and phases are the hook names. The
 * series of one (plugin, phase) are made once, on its first call, and kept with the plugin ({@link of}); a call
 * then costs two map lookups, one clock read (a deciding phase times each hook from the end of the one before) and
 * two metric updates, with nothing allocated.
 *
 * Time is read with `performance.now()`, not Effect's `Clock`: the `Clock`'s milliseconds are too coarse for hooks
 * that take microseconds, and its nanoseconds are a `bigint` per read.
 *
 * @since 0.1.0
 */
import type { Verdict } from "@cartero/smtp"
import { type Context, Metric } from "effect"

/** What a hook call answered: a verdict's tag, or `Failed`. */
export type Outcome = Verdict.Verdict<unknown>["_tag"] | "Failed"

const outcomes: ReadonlyArray<readonly [Outcome, string]> = [
  ["Continue", "continue"],
  ["Accept", "accept"],
  ["Reject", "reject"],
  ["Defer", "defer"],
  ["Disconnect", "disconnect"],
  ["Failed", "failed"]
]

/** The series of one plugin at one phase. */
export interface HookMetrics {
  readonly latency: Metric.Histogram<number>
  readonly verdicts: Readonly<Record<Outcome, Metric.Counter<number>>>
}

export const latencyBoundaries: ReadonlyArray<number> = Metric.exponentialBoundaries({ start: 0.05, factor: 4, count: 10 })

const make = (plugin: string, phase: string): HookMetrics => {
  const verdicts = {} as Record<Outcome, Metric.Counter<number>>
  for (const [outcome, verdict] of outcomes) {
    verdicts[outcome] = Metric.counter("cartero_plugin_verdicts_total", {
      description: "plugin hook calls, by phase, plugin and what the hook answered",
      attributes: { phase, plugin, verdict }
    })
  }
  return {
    latency: Metric.histogram("cartero_plugin_hook_ms", {
      description: "duration of one plugin hook call, milliseconds",
      boundaries: latencyBoundaries,
      attributes: { phase, plugin }
    }),
    verdicts
  }
}

// Keyed by the plugin value (its name is fixed when it is made), then by phase.
const cache = new WeakMap<object, Map<string, HookMetrics>>()

/** The series of `plugin` at `phase` (made on first use). */
export const of = (plugin: { readonly name: string }, phase: string): HookMetrics => {
  let phases = cache.get(plugin)
  if (phases === undefined) {
    phases = new Map()
    cache.set(plugin, phases)
  }
  let metrics = phases.get(phase)
  if (metrics === undefined) {
    metrics = make(plugin.name, phase)
    phases.set(phase, metrics)
  }
  return metrics
}

/** The current time for {@link record}, milliseconds with a fraction. */
export const now = (): number => performance.now()

/**
 * Records one hook call that started at `started` ({@link now}) and answered `outcome`, in `context`'s registry;
 * returns the time it ended (the start of the next hook of the phase).
 */
export const record = (metrics: HookMetrics, started: number, outcome: Outcome, context: Context.Context<never>): number => {
  const ended = performance.now()
  metrics.latency.updateUnsafe(ended - started, context)
  metrics.verdicts[outcome].updateUnsafe(1, context)
  return ended
}
