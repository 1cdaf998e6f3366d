import { TempDir } from "@cartero/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"

const tempDir = TempDir.make()

const appDir = Path.resolve(import.meta.dirname, "..")
const tsx = Path.join(appDir, "node_modules", ".bin", "tsx")
// The bundle `pnpm start` runs, built once for this file into a directory of its own (under apps/mta, where the
// external native packages resolve), independent of any earlier `pnpm build`.
const bundleDir = Path.join(appDir, "dist", `test-${process.pid}`)

beforeAll(() => {
  const built = ChildProcess.spawnSync(process.execPath, ["scripts/build.mjs", "--outdir", bundleDir], {
    cwd: appDir,
    encoding: "utf8",
    timeout: 60_000
  })
  if (built.status !== 0) throw new Error(`build failed: ${built.error?.message ?? built.stderr}`)
}, 90_000)
afterAll(() => Fs.rmSync(bundleDir, { recursive: true, force: true }))

/** How the app is started: the sources with tsx (`pnpm dev`), or the bundle with node (`pnpm start`). */
const runners = {
  tsx: { command: tsx, args: ["src/main.ts"] },
  bundle: { command: process.execPath, args: ["--enable-source-maps", Path.join(bundleDir, "main.mjs")] }
} as const

interface Running {
  readonly child: ChildProcess.ChildProcess
  readonly output: { stdout: string; stderr: string }
  readonly exited: Promise<number | null>
}

/**
 * Starts the app as the operator would (`runner`), with a clean CARTERO_* environment plus `env`. The child leads
 * its own process group (tsx runs node as a grandchild), and the scope kills that group by pid, whatever happens.
 */
const spawnApp = (runner: keyof typeof runners, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.sync((): Running => {
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CARTERO_")))
      const child = ChildProcess.spawn(runners[runner].command, [...runners[runner].args], {
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

describe.each(["tsx", "bundle"] as const)("the app process (%s)", (runner) => {
  it.live("a bad value exits 1 with a message naming the variable, without a stack trace", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp(runner, { CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "abc" })
      const code = yield* waitExit(running)
      assert.strictEqual(code, 1, running.output.stderr)
      assert.include(running.output.stderr, "CARTERO_SMTP_PORT")
      assert.include(running.output.stderr, "expected an integer")
      assert.notMatch(running.output.stderr, /^\s+at /m)
    }).pipe(Effect.scoped))

  it.live("a bad CARTERO_HEAP_GROWTH exits 1 before anything starts, naming the variable", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp(runner, { CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "0", CARTERO_HEAP_GROWTH: "lots" })
      const code = yield* waitExit(running)
      assert.strictEqual(code, 1, running.output.stderr)
      assert.include(running.output.stderr, "cartero: cannot start: CARTERO_HEAP_GROWTH: expected an integer 0-1000")
      assert.notInclude(running.output.stdout, "cartero started")
    }).pipe(Effect.scoped))

  it.live("SIGTERM stops it cleanly with exit code 0", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp(runner, { CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "0", CARTERO_LOG_FORMAT: "json" })
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
