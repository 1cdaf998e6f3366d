/**
 * `pnpm start`: the reference MTA. Every setting comes from `CARTERO_*` environment variables
 * (docs/configuration.md). SIGTERM/SIGINT stop it cleanly with exit code 0; a bad setting exits 1 with a message
 * naming the variable.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import * as MtaApp from "./MtaApp.ts"
import * as ProcessExit from "./ProcessExit.ts"

const main = Layer.launch(MtaApp.layer).pipe(Effect.tapCause(ProcessExit.report))

NodeRuntime.runMain(main, { disableErrorReporting: true, teardown: ProcessExit.teardown })
