/**
 * `pnpm bench -- <scenario> [options]`: the Cartero benchmark tool. See the README and `pnpm bench -- help`.
 *
 * Exit codes: 0 done (or stopped with Ctrl-C), 1 a scenario failed (the reason is on stderr), 2 bad arguments.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Result } from "effect"
import * as Cli from "./Cli.ts"
import * as Scenarios from "./Scenarios.ts"

const parsed = Cli.parse(process.argv.slice(2))

if (Result.isFailure(parsed)) {
  process.stderr.write(`bench: ${parsed.failure}\n\n${Cli.usage}`)
  process.exitCode = 2
} else {
  const o = parsed.success
  const program = Effect.scoped(
    o.scenario === "accept" ? Scenarios.accept(o)
    : o.scenario === "e2e" ? Scenarios.e2e(o)
    : o.scenario === "wire" ? Scenarios.wire(o)
    : o.scenario === "sink" ? Scenarios.sink(o)
    : o.scenario === "large" ? Scenarios.large(o)
    : o.scenario === "mime" || o.scenario === "queue" ? Scenarios.packageBench(o.scenario, o)
    : Effect.sync(() => process.stdout.write(Cli.usage))
  ).pipe(
    Effect.tapCause((cause) =>
      Effect.sync(() => {
        for (const reason of cause.reasons) {
          if (Cause.isFailReason(reason)) process.stderr.write(`bench: ${reason.error.message}\n`)
          else if (Cause.isDieReason(reason)) process.stderr.write(`bench: fatal: ${Cause.pretty(Cause.die(reason.defect))}\n`)
        }
      })
    )
  )
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    // Ctrl-C/SIGTERM interrupts the scenario (its scope stops what it started); that is a clean stop.
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause) ? 0 : 1)
  })
}
