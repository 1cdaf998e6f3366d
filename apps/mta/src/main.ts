/**
 * `pnpm start`: the reference MTA. Every setting comes from `CARTERO_*` environment variables
 * (docs/configuration.md). SIGTERM/SIGINT stop it cleanly with exit code 0; a bad setting exits 1 with a message
 * naming the variable. `CARTERO_PROCESSES=N` runs N processes sharing the listener and the Redis queue
 * ({@link Cluster}).
 */
// First, for its side effect: libuv's thread pool size must be set before anything uses the pool (ThreadPool.ts).
import "./ThreadPool.ts"
import cluster from "node:cluster"
// The module, not the barrel: the barrel loads every Node service (HTTP, sockets, workers…) the app never uses,
// ≈ 50 MiB of RSS per process (docs/benchmarks.md, "Profile and optimisations").
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect, Layer } from "effect"
import * as Cluster from "./Cluster.ts"
import * as HeapGrowth from "./HeapGrowth.ts"
import * as MtaApp from "./MtaApp.ts"
import * as ProcessExit from "./ProcessExit.ts"

const cannotStart = (error: string): never => {
  process.stderr.write(`cartero: cannot start: ${error}\n`)
  return process.exit(1)
}

const growth = HeapGrowth.percent(process.env)
const wanted = Cluster.processes(process.env)
if ("error" in growth) {
  cannotStart(growth.error)
} else if ("error" in wanted) {
  cannotStart(wanted.error)
} else if (wanted.n > 1 && cluster.isPrimary) {
  Cluster.runPrimary(wanted.n)
} else {
  HeapGrowth.apply(growth.n)
  const main = Layer.launch(MtaApp.MtaApp.layerConfig).pipe(Effect.tapCause(ProcessExit.report))
  NodeRuntime.runMain(main, { disableErrorReporting: true, teardown: ProcessExit.teardown })
}
