/**
 * `pnpm cartero ...` (from the repository root) or `pnpm cli ...` (in apps/mta): the operator's command line.
 * See `cli/Cli.ts` for the commands and the exit-code contract, docs/queue.md "Operating the queue" for usage.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect } from "effect"
import * as Cli from "./cli/Cli.ts"

const main = Cli.run(process.argv.slice(2)).pipe(Effect.tapCause(Cli.report), Effect.provide(NodeServices.layer))

NodeRuntime.runMain(main, { disableErrorReporting: true, teardown: (exit, onExit) => onExit(Cli.exitCode(exit)) })
