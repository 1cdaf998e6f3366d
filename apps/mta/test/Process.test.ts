import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"

const tempDir = TempDir.make()

const appDir = Path.resolve(import.meta.dirname, "..")
const tsx = Path.join(appDir, "node_modules", ".bin", "tsx")

interface Running {
  readonly child: ChildProcess.ChildProcess
  readonly output: { stdout: string; stderr: string }
  readonly exited: Promise<number | null>
}

/**
 * Starts `tsx src/main.ts` as the operator would, with a clean CARTERO_* environment plus `env`. The child leads
 * its own process group (tsx runs node as a grandchild), and the scope kills that group by pid, whatever happens.
 */
const spawnApp = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync((): Running => {
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CARTERO_")))
      const child = ChildProcess.spawn(tsx, ["src/main.ts"], {
        cwd: appDir,
        env: { ...inherited, ...env },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"]
      })
      const output = { stdout: "", stderr: "" }
      child.stdout?.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()))
      child.stderr?.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()))
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
      return { child, output, exited }
    }),
    ({ child }) =>
      Effect.sync(() => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
          try {
            process.kill(-child.pid, "SIGKILL")
          } catch {
            // already gone
          }
        }
      })
  )

const waitExit = (running: Running) => Effect.promise(() => running.exited).pipe(Effect.timeout("30 seconds"))

describe("the app process", () => {
  it.live("a bad value exits 1 with a message naming the variable, without a stack trace", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp({ CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "abc" })
      const code = yield* waitExit(running)
      assert.strictEqual(code, 1, running.output.stderr)
      assert.include(running.output.stderr, "CARTERO_SMTP_PORT")
      assert.include(running.output.stderr, "expected an integer")
      assert.notMatch(running.output.stderr, /^\s+at /m)
    }).pipe(Effect.scoped))

  it.live("SIGTERM stops it cleanly with exit code 0", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp({ CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "0", CARTERO_LOG_FORMAT: "json" })
      yield* Effect.suspend(() => Effect.succeed(running.output.stdout.includes("cartero started"))).pipe(
        Effect.repeat({ until: (started) => started || running.child.exitCode !== null, schedule: Schedule.spaced("100 millis") }),
        Effect.timeout("30 seconds")
      )
      assert.include(running.output.stdout, "cartero started", running.output.stderr)
      const started = running.output.stdout.split("\n").find((l) => l.includes("cartero started")) ?? ""
      const line = JSON.parse(started) as { annotations?: Record<string, unknown> }
      assert.include(String(line.annotations?.["listeners"]), "mx=127.0.0.1:")
      assert.strictEqual(line.annotations?.["localDomains"], "localhost")
      running.child.kill("SIGTERM")
      const code = yield* waitExit(running)
      assert.strictEqual(code, 0, running.output.stderr)
      assert.include(running.output.stdout, "cartero stopping")
    }).pipe(Effect.scoped))
})
