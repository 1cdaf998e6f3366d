/**
 * Processes by pid: whether one still runs, and a bounded wait until it is gone. Used for the app's processes and
 * the private Redis, which are only ever signalled by the pid the tool started them with.
 *
 * @since 0.1.0
 */
import { readFileSync } from "node:fs"
import { Effect } from "effect"

/**
 * Whether a process with this pid runs: it exists (signal 0) and is not a zombie. A daemon killed with SIGKILL
 * (the private `redis-server` runs daemonized) is a child of init, which may reap it only later; until then its pid
 * answers signal 0 although the process is dead and its sockets closed.
 */
export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state …"; the command may contain spaces and parentheses, the state follows the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z"
  } catch {
    return true // no /proc: signal 0 is all there is
  }
}

/** Waits until `pid` is gone, polling every 50 ms for at most `millis`; true when it is gone. */
export const waitGone = (pid: number, millis = 10_000): Effect.Effect<boolean> =>
  Effect.gen(function*() {
    for (let waited = 0; waited < millis; waited += 50) {
      if (!isAlive(pid)) return true
      yield* Effect.sleep("50 millis")
    }
    return !isAlive(pid)
  })
