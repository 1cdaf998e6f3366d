/**
 * `pnpm start`: the reference MTA. Every setting comes from `CARTERO_*` environment variables
 * (docs/configuration.md). SIGTERM/SIGINT stop it cleanly with exit code 0; a bad setting exits 1 with a message
 * naming the variable. `CARTERO_PROCESSES=N` runs N processes sharing the listener and the Redis queue
 * ({@link Cluster}).
 */
import cluster from "node:cluster"
// The module, not the barrel: the barrel loads every Node service (HTTP, sockets, workers…) the app never uses,
// ≈ 50 MiB of RSS per process (docs/benchmarks.md, "Profile and optimisations").
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer } from "effect"
import * as Cluster from "./Cluster.ts"
import * as HeapGrowth from "./HeapGrowth.ts"
import * as MtaApp from "./MtaApp.ts"
import * as ProcessExit from "./ProcessExit.ts"

HeapGrowth.apply()

const wanted = Cluster.processes(process.env)
if ("error" in wanted) {
  process.stderr.write(`cartero: cannot start: ${wanted.error}\n`)
  process.exit(1)
} else if (wanted.n > 1 && cluster.isPrimary) {
  Cluster.runPrimary(wanted.n)
} else {
  const main = Layer.launch(MtaApp.layer).pipe(Effect.tapCause(ProcessExit.report))
  NodeRuntime.runMain(main, { disableErrorReporting: true, teardown: ProcessExit.teardown })
}
