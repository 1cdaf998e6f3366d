/**
 * A private `redis-server` for the Redis scenarios: a free loopback port, its own temporary directory, configured
 * as docs/operations.md prescribes (`appendonly yes`, `appendfsync everysec`, no RDB snapshots), started, killed
 * and restarted by pid — never the shared Redis on 6379, never by name.
 *
 * Copied from packages/queue-redis/test/fixtures/PrivateRedis.ts (a test fixture, not exported by any package),
 * with a real-time `Effect.sleep` instead of `@cartero/queue/testing`'s `sleepReal` (that entry point loads
 * `@effect/vitest`, which a command-line tool should not), and the port, directory and version exposed for the
 * report.
 *
 * @since 0.1.0
 */
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ServerProcess } from "@cartero/bench"
import { Effect, type Scope } from "effect"
import { FaultsError } from "./FaultsError.ts"
import * as Pid from "./Pid.ts"

/** `redis-server --version`, or undefined when it is not installed. */
export const version = (): string | undefined => {
  const r = spawnSync("redis-server", ["--version"], { encoding: "utf8", timeout: 10_000 })
  if (r.status !== 0) return undefined
  return /v=(\S+)/.exec(r.stdout)?.[1] ?? r.stdout.trim()
}

/** The persistence settings every private Redis runs with (quoted in the report). */
export const persistence = "appendonly yes, appendfsync everysec, save \"\""

export interface PrivateRedis {
  readonly url: string
  readonly port: number
  /** Starts the server (again) on the same port and directory: the AOF written before is loaded. */
  readonly start: Effect.Effect<void, FaultsError>
  /** Stops it with `signal` (SIGKILL: a crash; SIGTERM: a clean shutdown) and waits until the pid is gone. */
  readonly stop: (signal: "SIGKILL" | "SIGTERM") => Effect.Effect<void>
  /** Whether something accepts connections on the port. */
  readonly accepting: Effect.Effect<boolean>
}

const accepts = (port: number): Effect.Effect<boolean> =>
  Effect.promise(() =>
    new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1")
      socket.once("connect", () => {
        socket.destroy()
        resolve(true)
      })
      socket.once("error", () => resolve(false))
    })
  )

/** Bounded: 200 × 50 ms. */
const waitFor = (condition: Effect.Effect<boolean>): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      if (yield* condition) return true
      yield* Effect.sleep("50 millis")
    }
    return false
  })

/** A stopped private Redis on a free port; `start` it. Stopped (SIGTERM) and its directory removed with the scope. */
export const make: Effect.Effect<PrivateRedis, FaultsError | ServerProcess.ServerError, Scope.Scope> = Effect.gen(
  function*() {
    if (version() === undefined) return yield* new FaultsError({ message: "redis-server is not installed (apt-get install redis-server)" })
    const port = yield* ServerProcess.freePort()
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "cartero-faults-redis-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const pidfile = join(dir, "redis.pid")
    const pid = (): number | undefined => (existsSync(pidfile) ? Number(readFileSync(pidfile, "utf8").trim()) : undefined)
    const start = Effect.gen(function*() {
      yield* Effect.try({
        try: () =>
          execFileSync("redis-server", [
            "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--daemonize", "yes", "--pidfile", pidfile,
            "--logfile", join(dir, "redis.log"), "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"
          ], { timeout: 10_000 }),
        catch: (e) => new FaultsError({ message: `redis-server did not start: ${String(e)}` })
      })
      const up = (yield* waitFor(Effect.sync(() => pid() !== undefined))) && (yield* waitFor(accepts(port)))
      if (!up) return yield* new FaultsError({ message: `redis-server on port ${port} did not come up within 10 s` })
    })
    const stop = (signal: "SIGKILL" | "SIGTERM") =>
      Effect.gen(function*() {
        const p = pid()
        if (p === undefined) return
        if (Pid.isAlive(p)) process.kill(p, signal)
        yield* Pid.waitGone(p)
        // A killed server leaves its pidfile behind; the next start must not mistake it for its own.
        rmSync(pidfile, { force: true })
      })
    yield* Effect.addFinalizer(() => stop("SIGTERM"))
    return { url: `redis://127.0.0.1:${port}`, port, start, stop, accepting: accepts(port) }
  }
)
