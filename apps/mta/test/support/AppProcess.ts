/**
 * The app as a child process, as an operator starts it: the bundle built by `scripts/build.mjs` (into a directory
 * of the test's own, under apps/mta where the external native packages resolve), or the sources with tsx. Every
 * child leads its own process group (tsx runs node as a grandchild) and the scope kills that group by pid,
 * whatever happens; every wait is bounded.
 */
import { Effect, Schedule } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"

export const appDir = Path.resolve(import.meta.dirname, "..", "..")
const tsx = Path.join(appDir, "node_modules", ".bin", "tsx")

/** The environment of a child: ours without any `CARTERO_*` or `INIT_CWD` (a config of the developer's must not leak in). */
const cleanEnv = (env: Record<string, string>): Record<string, string> => ({
  ...Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] =>
      e[1] !== undefined && !e[0].startsWith("CARTERO_") && e[0] !== "INIT_CWD"
    )
  ),
  ...env
})

/** Builds the bundle into `outdir` (relative to apps/mta) with `env` (e.g. `CARTERO_CONFIG`); the build's result. */
export const build = (outdir: string, env: Record<string, string> = {}) => {
  const built = ChildProcess.spawnSync(process.execPath, ["scripts/build.mjs", "--outdir", outdir], {
    cwd: appDir,
    env: cleanEnv(env),
    encoding: "utf8",
    timeout: 120_000
  })
  return { status: built.status, stderr: `${built.error?.message ?? ""}${built.stderr}` }
}

/** Builds, or throws with the build's messages. */
export const buildOrThrow = (outdir: string, env: Record<string, string> = {}): void => {
  const built = build(outdir, env)
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`)
}

/** Removes a build directory. */
export const remove = (outdir: string): void => Fs.rmSync(Path.resolve(appDir, outdir), { recursive: true, force: true })

/** How the app is started: the sources with tsx (`pnpm dev`), or a bundle with node (`pnpm start`). */
export const runner = {
  tsx: () => ({ command: tsx, args: ["src/main.ts"] }),
  bundle: (outdir: string) => ({ command: process.execPath, args: ["--enable-source-maps", Path.join(appDir, outdir, "main.mjs")] })
} as const

export interface Running {
  readonly child: ChildProcess.ChildProcess
  readonly output: { stdout: string; stderr: string }
  readonly exited: Promise<number | null>
}

/** Starts the app with a clean `CARTERO_*` environment plus `env`, in `cwd` (default apps/mta). */
export const spawn = (start: { readonly command: string; readonly args: ReadonlyArray<string> }, env: Record<string, string>, cwd = appDir) =>
  Effect.acquireRelease(
    Effect.sync((): Running => {
      const child = ChildProcess.spawn(start.command, [...start.args], { cwd, env: cleanEnv(env), detached: true, stdio: ["ignore", "pipe", "pipe"] })
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

/** The exit code, within 30 s. */
export const waitExit = (running: Running) => Effect.promise(() => running.exited).pipe(Effect.timeout("30 seconds"))

/** Waits (30 s at most) until stdout contains `text` or the child exits; whether it did. */
export const waitFor = (running: Running, text: string) =>
  Effect.suspend(() => Effect.succeed(running.output.stdout.includes(text))).pipe(
    Effect.repeat({ until: (seen) => seen || running.child.exitCode !== null, schedule: Schedule.spaced("100 millis") }),
    Effect.timeout("30 seconds")
  )
