/**
 * `pnpm faults [scenario…] [--messages N] [--store sqlite|redis] [--json]`: the fault matrix (see the README).
 *
 * Rows go to stdout as each scenario ends (a table, or JSON Lines with `--json`); progress notes go to stderr,
 * prefixed with `#`. Exit codes: 0 nothing acknowledged was lost, 1 a scenario lost an acknowledged message or could
 * not run, 2 bad arguments. Ctrl-C stops the running scenario's processes, servers and mounts (its scope closes).
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect, Exit, Result } from "effect"
import * as Cli from "./Cli.ts"
import * as Matrix from "./Matrix.ts"
import * as Mta from "./Mta.ts"
import * as Report from "./Report.ts"

const names = Matrix.scenarios.map((s) => s.name)
const parsed = Cli.parse(process.argv.slice(2), names)

if (Result.isFailure(parsed)) {
  process.stderr.write(`faults: ${parsed.failure}\n\n${Cli.usage(Matrix.scenarios)}`)
  process.exitCode = 2
} else if (parsed.success.help) {
  process.stdout.write(Cli.usage(Matrix.scenarios))
} else {
  const o = parsed.success
  const selected = o.scenarios.length === 0
    ? Matrix.scenarios
    : o.scenarios.flatMap((name) => Matrix.scenarios.filter((s) => s.name === name))
  const note = (text: string): void => {
    process.stderr.write(`# ${text}\n`)
  }
  let failures = 0
  const program = Effect.gen(function*() {
    note("building the app (apps/mta/scripts/build.mjs)")
    const bundle = yield* Mta.bundle
    if (!o.json) process.stdout.write(`${Report.header()}\n`)
    for (const scenario of selected) {
      note(`${scenario.name}: ${scenario.summary}`)
      const row = yield* Matrix.runOne(scenario, {
        bundle,
        messages: o.messages,
        store: o.store,
        note: (t) => note(`${scenario.name}: ${t}`)
      })
      if (Matrix.failed(row)) failures++
      process.stdout.write(`${o.json ? Report.toJson(row) : Report.formatRow(row)}\n`)
    }
  }).pipe(
    Effect.scoped,
    Effect.tapError((e) => Effect.sync(() => process.stderr.write(`faults: ${e.message}\n`)))
  )
  NodeRuntime.runMain(program, {
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) ? (failures > 0 ? 1 : 0) : Cause.hasInterruptsOnly(exit.cause) ? 130 : 1)
  })
}
