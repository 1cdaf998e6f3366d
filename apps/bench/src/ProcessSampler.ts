/**
 * Samples a server's memory and CPU from `/proc` while a run goes on.
 *
 * The server may be a process tree, not one pid: Postfix is a master plus smtpd/cleanup/qmgr/smtp children, and a
 * Node server may fork workers. So the sampler can follow the root pid and its descendants. Peak memory is the
 * largest sample (every 100 ms) during the window: for one process its `VmRSS`, for a tree the sum of PSS
 * (`smaps_rollup`), so shared pages are not counted once per process. Not `VmHWM`: that high-water mark dates from
 * process start, so it would charge a spawned Cartero with its TypeScript start-up peak and an external server
 * with nothing of the kind. CPU is the growth of `utime + stime + cutime + cstime` summed over the tree, so the time of children
 * that exit and get reaped during the run still counts.
 *
 * Linux only; elsewhere the figures are simply absent.
 *
 * @since 0.1.0
 */
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"

/** What a sampling window measured. */
export interface Usage {
  /** Peak resident set size of the tree during the window, bytes. */
  readonly peakRssBytes: number
  /** CPU time the tree used during the window, ms. */
  readonly cpuMs: number
  readonly samples: number
}

const clockTicks = (() => {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 2000 }).trim())
    return Number.isFinite(n) && n > 0 ? n : 100
  } catch {
    return 100
  }
})()

interface Stat {
  readonly ppid: number
  /** utime + stime + cutime + cstime, in clock ticks. */
  readonly ticks: number
}

const readStat = (pid: number): Stat | undefined => {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "latin1")
    // The command name (field 2) is in parentheses and may contain spaces: split after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
    // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    const num = (i: number): number => Number(fields[i - 3] ?? 0)
    return { ppid: num(4), ticks: num(14) + num(15) + num(16) + num(17) }
  } catch {
    return undefined
  }
}

const readStatusKb = (pid: number, key: "VmRSS"): number => {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "latin1")
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(text)
    return m?.[1] === undefined ? 0 : Number(m[1])
  } catch {
    return 0
  }
}

/** The root and all its descendants that are alive now. */
export const processTree = (root: number): ReadonlyArray<number> => {
  let entries: Array<string>
  try {
    entries = readdirSync("/proc")
  } catch {
    return []
  }
  const children = new Map<number, Array<number>>()
  for (const e of entries) {
    const pid = Number(e)
    if (!Number.isInteger(pid)) continue
    const st = readStat(pid)
    if (st === undefined) continue
    const list = children.get(st.ppid)
    if (list === undefined) children.set(st.ppid, [pid])
    else list.push(pid)
  }
  const out: Array<number> = []
  const todo = [root]
  // Bounded: each pid is visited once, and /proc lists a finite set.
  while (todo.length > 0 && out.length < 10_000) {
    const pid = todo.pop()
    if (pid === undefined || out.includes(pid)) continue
    out.push(pid)
    for (const c of children.get(pid) ?? []) todo.push(c)
  }
  return out
}

const treeTicks = (pids: ReadonlyArray<number>): number =>
  pids.reduce((sum, pid) => sum + (readStat(pid)?.ticks ?? 0), 0)

/** Proportional set size: shared pages (libc, the binary) are split between the processes sharing them. */
const readPssKb = (pid: number): number | undefined => {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "latin1"))
    return m?.[1] === undefined ? undefined : Number(m[1])
  } catch {
    return undefined
  }
}

/**
 * Memory of a tree. One process: its RSS. Several: the sum of PSS, because summing RSS counts every shared page
 * once per process (50 Postfix processes of ~8 MB RSS each are not 400 MB of memory).
 */
const treeMemoryKb = (pids: ReadonlyArray<number>): number => {
  if (pids.length === 1 && pids[0] !== undefined) return readStatusKb(pids[0], "VmRSS")
  return pids.reduce((sum, pid) => sum + (readPssKb(pid) ?? readStatusKb(pid, "VmRSS")), 0)
}

/** `true` when `/proc/<pid>` exists (the process is alive or a zombie). */
export const exists = (pid: number): boolean => readStat(pid) !== undefined

/** A running sampler. `stop` ends the window and returns what it saw. */
export interface Sampler {
  readonly stop: () => Usage
}

/**
 * Starts sampling the tree rooted at `pid` every `intervalMs`. Whether the tree includes descendants is
 * `followChildren` (off for our own child processes, whose children are none of the server's business).
 */
export const start = (pid: number, options: { readonly intervalMs?: number; readonly followChildren?: boolean } = {}): Sampler => {
  const follow = options.followChildren ?? true
  const tree = (): ReadonlyArray<number> => (follow ? processTree(pid) : [pid])
  let pids = tree()
  const startTicks = treeTicks(pids)
  let lastTicks = startTicks
  let peakKb = treeMemoryKb(pids)
  let samples = 1
  const sample = (): void => {
    pids = tree()
    const ticks = treeTicks(pids)
    // A child that exited but is not reaped yet drops out of the tree: never let the figure go backwards.
    if (ticks > lastTicks) lastTicks = ticks
    peakKb = Math.max(peakKb, treeMemoryKb(pids))
    samples++
  }
  const timer = setInterval(sample, options.intervalMs ?? 100)
  timer.unref()
  return {
    stop: () => {
      clearInterval(timer)
      sample()
      return {
        peakRssBytes: peakKb * 1024,
        cpuMs: ((lastTicks - startTicks) * 1000) / clockTicks,
        samples
      }
    }
  }
}
