/**
 * Helpers for fault tests that run a queue worker in a child process and kill it.
 *
 * The child is `node --import tsx script`, not the `tsx` command: `tsx` runs the script in a second process and
 * only relays signals, so a SIGKILL to its pid would kill the relay and leave the worker running as an orphan
 * (still holding and renewing work). With `--import` the pid we kill is the worker itself.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import type { Scope } from "effect"

/** This package's directory: `--import tsx` is resolved from the working directory, and tsx is a dev dependency here. */
const packageDir = fileURLToPath(new URL("../..", import.meta.url))

/** Spawns `node --import tsx script ...args`, resolving once a stdout line starts with `marker`; the line is returned. */
export const spawnUntil = (
  script: string,
  args: ReadonlyArray<string>,
  marker: string,
  timeoutMillis = 20_000
): Effect.Effect<{ readonly child: ChildProcess; readonly line: string }, Error> =>
  Effect.callback<{ readonly child: ChildProcess; readonly line: string }, Error>((resume) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: packageDir, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      resume(Effect.fail(new Error(`child did not print ${marker}: ${err}`)))
    }, timeoutMillis)
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString()
      const line = out.split("\n").find((l) => l.startsWith(marker))
      if (line !== undefined) {
        clearTimeout(timer)
        resume(Effect.succeed({ child, line }))
      }
    })
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString()
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      resume(Effect.fail(new Error(`child exited early (${code}): ${err}`)))
    })
  })

/** Sends SIGKILL to the child (by its pid) and waits for it to be gone. */
export const kill9 = (child: ChildProcess): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
    child.once("exit", () => resume(Effect.void))
    child.kill("SIGKILL")
  })

/** Real-time sleep (for `it.live` tests that wait for a lease to expire). */
export const sleepReal = (millis: number): Effect.Effect<void> =>
  Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, millis)))

/** {@link spawnUntil}, killed (SIGKILL by pid) when the scope closes, so a failing test never leaves it running. */
export const spawnScoped = (
  script: string,
  args: ReadonlyArray<string>,
  marker: string,
  timeoutMillis = 20_000
): Effect.Effect<{ readonly child: ChildProcess; readonly line: string }, Error, Scope.Scope> =>
  Effect.acquireRelease(spawnUntil(script, args, marker, timeoutMillis), ({ child }) => kill9(child))
