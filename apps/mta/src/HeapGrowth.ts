/**
 * How far V8 lets the old generation grow past what the last full collection kept (`CARTERO_HEAP_GROWTH`).
 *
 * Left to itself, V8 grows the old generation to up to 4 × the live set before it collects it again. Under load
 * the MTA promotes per-message objects (and the Buffers they hold) that die soon after, so a process with ≈ 35 MiB
 * live peaked at 203–215 MiB RSS in the end-to-end benchmark. Growing by 100 % (2 × live) kept it at 143–147 MiB for
 * the same CPU per message (a full collection every ≈ 0.5 s instead of every ≈ 2 s, concurrent marking, ≈ 4 ms of
 * main-thread time each): docs/benchmarks.md, "Round 4", and docs/decisions/heap-growth.md.
 *
 * Set at run time rather than as a command-line flag: V8 flags are not a stable interface, and a flag a future
 * Node does not know would stop `node` from starting, while `setFlagsFromString` prints a warning and goes on (and
 * `NODE_OPTIONS` may not carry this flag at all). A `--heap-growing-percent` on the node command line wins.
 */
import * as v8 from "node:v8"

/** The growth the app runs with unless `CARTERO_HEAP_GROWTH` says otherwise, in percent of the live set. */
export const defaultPercent = 100

const flag = "--heap-growing-percent"

/**
 * Parsed `CARTERO_HEAP_GROWTH` (percent, 0–1000; `0` leaves V8's own policy), or the operator-facing error line.
 */
export const percent = (env: NodeJS.ProcessEnv): { readonly n: number } | { readonly error: string } => {
  const raw = (env["CARTERO_HEAP_GROWTH"] ?? "").trim()
  if (raw === "") return { n: defaultPercent }
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n > 1000) return { error: `CARTERO_HEAP_GROWTH: expected an integer 0-1000 (percent), got ${JSON.stringify(raw)}` }
  return { n }
}

/** Whether the node command line already sets the growth (it then wins). */
export const onCommandLine = (execArgv: ReadonlyArray<string>): boolean =>
  execArgv.some((arg) => arg.startsWith(flag) || arg.startsWith("--heap_growing_percent"))

/** Applies `n` percent (nothing for 0, or when the command line chose). */
export const apply = (n: number): void => {
  if (n > 0 && !onCommandLine(process.execArgv)) v8.setFlagsFromString(`${flag}=${n}`)
}
