/**
 * Several Cartero processes on one host: `CARTERO_PROCESSES=N` (default 1) makes `pnpm start` a `node:cluster`
 * primary that forks N workers. Each worker is the whole app (SMTP listeners, pipeline, delivery workers); the
 * listening socket is shared (the primary accepts and hands connections round-robin to the workers, Node's default
 * on Linux) and the queue is the one Redis they all point at, so any process may deliver what another accepted.
 * More hosts are the same model: more machines pointing at the same Redis (docs/benchmarks.md, "Scaling").
 *
 * The primary does no mail work. SIGTERM/SIGINT are passed to every worker (each drains its sessions within
 * `CARTERO_SHUTDOWN_TIMEOUT`); the primary exits 0 once they all have. A worker that dies on its own stops the
 * others and the primary exits 1: the service manager restarts the whole set, as it would one process.
 *
 * N > 1 requires `CARTERO_REDIS_URL`: the SQLite store is one process's file and its "work is due" signal is
 * in-process only.
 *
 * @since 0.1.0
 */
import cluster from "node:cluster"

/** Parsed `CARTERO_PROCESSES`, or the operator-facing error line. */
export const processes = (env: NodeJS.ProcessEnv): { readonly n: number } | { readonly error: string } => {
  const raw = (env["CARTERO_PROCESSES"] ?? "").trim()
  if (raw === "") return { n: 1 }
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > 64) return { error: `CARTERO_PROCESSES: expected an integer 1-64, got ${JSON.stringify(raw)}` }
  if (n > 1 && (env["CARTERO_REDIS_URL"] ?? "").trim() === "") {
    return { error: "CARTERO_PROCESSES > 1 needs CARTERO_REDIS_URL: processes share the queue through Redis (SQLite is one process's)" }
  }
  return { n }
}

/** Runs the primary: forks `n` workers, forwards signals, exits when they have. Never returns. */
export const runPrimary = (n: number): void => {
  let stopping = false
  let failed = false
  const stopAll = (signal: NodeJS.Signals) => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal)
  }
  for (let i = 0; i < n; i++) cluster.fork({ CARTERO_WORKER_INDEX: String(i) })
  const onSignal = (signal: NodeJS.Signals) => {
    stopping = true
    stopAll(signal)
  }
  process.on("SIGTERM", onSignal)
  process.on("SIGINT", onSignal)
  cluster.on("exit", (worker, code, signal) => {
    if (!stopping) {
      failed = true
      stopping = true
      process.stderr.write(`cartero: process ${worker.process.pid} exited (${signal ?? code}); stopping the others\n`)
      stopAll("SIGTERM")
    }
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0)
  })
}
