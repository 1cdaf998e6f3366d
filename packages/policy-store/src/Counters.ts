/**
 * Sliding-window counters, one namespace per plugin: `hit(key, window, cost)` counts `cost` units against `key`
 * when they fit under the window's limit, atomically (two processes sharing Redis never both take the last unit).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import type { PolicyStoreError } from "./PolicyStoreError.ts"
import type * as SlidingWindow from "./SlidingWindow.ts"

/** Counters of one namespace. Keys are any text (bounded in length by the caller). */
export interface Counters {
  /** Counts `cost` (default 1) against `key` if it fits under `window`; refused hits are not counted. */
  readonly hit: (key: string, window: SlidingWindow.Window, cost?: number) => Effect.Effect<SlidingWindow.Outcome, PolicyStoreError>
}
