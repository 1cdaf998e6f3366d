/**
 * The fault matrix: every scenario, in the order `pnpm faults` runs them, and the loop that runs a selection one
 * after the other, each in its own scope (so everything a scenario started is stopped before the next one starts)
 * and under its own bound.
 *
 * A scenario that cannot build its world (no redis-server, no way to fill a disk) gives a row that says so; it does
 * not stop the others.
 *
 * @since 0.1.0
 */
import { Cause, Effect } from "effect"
import type * as Report from "./Report.ts"
import type * as Scenario from "./Scenario.ts"
import * as DiskFull from "./scenarios/DiskFull.ts"
import * as DnsDown from "./scenarios/DnsDown.ts"
import * as Flapping from "./scenarios/Flapping.ts"
import * as KillAccept from "./scenarios/KillAccept.ts"
import * as KillDelivery from "./scenarios/KillDelivery.ts"
import * as RedisDownStart from "./scenarios/RedisDownStart.ts"
import * as RedisOutage from "./scenarios/RedisOutage.ts"

/** Every scenario, in the matrix's order. */
export const scenarios: ReadonlyArray<Scenario.Scenario> = [
  KillAccept.scenario,
  KillDelivery.scenario,
  RedisOutage.restart,
  RedisDownStart.scenario,
  RedisOutage.downMid,
  DiskFull.maildir,
  DiskFull.sqlite,
  DnsDown.scenario,
  Flapping.make()
]

/** A row for a scenario that could not run or did not finish within its bound. */
const failedRow = (scenario: Scenario.Scenario, startedAt: number, why: string): Report.Row => ({
  scenario: scenario.name,
  store: "-",
  sent: 0,
  accepted: 0,
  retried: 0,
  delivered: 0,
  duplicated: 0,
  lost: 0,
  seconds: Math.round((Date.now() - startedAt) / 100) / 10,
  notes: [`did not run to the end: ${why}`],
  details: { failed: true }
})

/** Runs one scenario in its own scope and bound; never fails (a failure is a row). */
export const runOne = (scenario: Scenario.Scenario, context: Scenario.Context): Effect.Effect<Report.Row> =>
  Effect.suspend(() => {
    const startedAt = Date.now()
    return Effect.scoped(scenario.run(context)).pipe(
      Effect.timeoutOrElse({
        duration: scenario.bound,
        orElse: () => Effect.succeed(failedRow(scenario, startedAt, "bound reached"))
      }),
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause)
          ? Effect.failCause(cause)
          : Effect.succeed(failedRow(scenario, startedAt, Cause.pretty(cause).split("\n").slice(0, 6).join(" ").replace(/\s+/g, " ")))
      ),
      Effect.orDie
    )
  })

/** Whether a row counts as a failure of the matrix: an acknowledged message lost, or a scenario that did not finish. */
export const failed = (row: Report.Row): boolean => row.lost > 0 || row.details["failed"] === true
