/**
 * The `QueueStore` conformance suite. Every store runs it:
 *
 * ```ts
 * import { QueueStoreSuite, Tamper } from "@cartero/queue/testing"
 * QueueStoreSuite.suite("MemoryQueueStore", Tamper.Tamper.layerMemory())
 * ```
 *
 * The layer provides the store and its {@link Tamper} hook over the same instance (the quarantine cases damage
 * records behind the store's back; the SQLite and Redis packages build theirs in their tests). It is built afresh
 * for every case (a new memory map, a new temporary database, a new Redis key prefix) and every case runs on
 * `TestClock`, so the store must take its time from Effect's `Clock`.
 *
 * @since 0.1.0
 */
import { describe } from "@effect/vitest"
import type { TamperableStore } from "./Fixtures.ts"
import * as SuiteAdmin from "./SuiteAdmin.ts"
import * as SuiteClaim from "./SuiteClaim.ts"
import * as SuiteEnqueue from "./SuiteEnqueue.ts"
import * as SuiteLease from "./SuiteLease.ts"
import * as SuiteQuarantine from "./SuiteQuarantine.ts"
import * as SuiteSafety from "./SuiteSafety.ts"

/** Registers the whole suite under `name`. */
export const suite = (name: string, store: TamperableStore): void => {
  describe(name, () => {
    SuiteEnqueue.cases(store)
    SuiteClaim.cases(store)
    SuiteLease.cases(store)
    SuiteAdmin.cases(store)
    SuiteSafety.cases(store)
    SuiteQuarantine.cases(store)
  })
}
