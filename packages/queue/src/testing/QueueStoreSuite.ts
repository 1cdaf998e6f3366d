/**
 * The `QueueStore` conformance suite. Every store runs it:
 *
 * ```ts
 * import { QueueStoreSuite } from "@cartero/queue/testing"
 * QueueStoreSuite.suite("SqliteQueueStore", SqliteQueueStore.SqliteQueueStore.layerTemp())
 * ```
 *
 * The layer is built afresh for every case (a new memory map, a new temporary database, a new Redis key prefix)
 * and every case runs on `TestClock`, so the store must take its time from Effect's `Clock`.
 *
 * @since 0.1.0
 */
import { describe } from "@effect/vitest"
import type { StoreLayer } from "./Fixtures.ts"
import * as SuiteAdmin from "./SuiteAdmin.ts"
import * as SuiteClaim from "./SuiteClaim.ts"
import * as SuiteEnqueue from "./SuiteEnqueue.ts"
import * as SuiteLease from "./SuiteLease.ts"
import * as SuiteSafety from "./SuiteSafety.ts"

/** Registers the whole suite under `name`. */
export const suite = (name: string, store: StoreLayer): void => {
  describe(name, () => {
    SuiteEnqueue.cases(store)
    SuiteClaim.cases(store)
    SuiteLease.cases(store)
    SuiteAdmin.cases(store)
    SuiteSafety.cases(store)
  })
}
