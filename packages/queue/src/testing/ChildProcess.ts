/**
 * Helpers for fault tests that run a queue worker in a child process (via `tsx`) and kill it.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn } from "node:child_process"
import { Effect } from "effect"

/** Spawns `tsx script ...args`, resolving once a stdout line starts with `marker`; the line is returned. */
export const spawnUntil = (
  tsx: string,
  script: string,
  args: ReadonlyArray<string>,
  marker: string,
  timeoutMillis = 20_000
): Effect.Effect<{ readonly child: ChildProcess; readonly line: string }, Error> =>
  Effect.callback<{ readonly child: ChildProcess; readonly line: string }, Error>((resume) => {
    const child = spawn(tsx, [script, ...args], { stdio: ["ignore", "pipe", "pipe"] })
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
