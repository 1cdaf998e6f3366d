/**
 * How far V8 lets the old generation grow past what the last full collection kept.
 *
 * Left to itself, V8 grows the old generation to up to 4 × the live set before it collects it again. Under load
 * the MTA promotes per-message objects (and the Buffers they hold) that die soon after, so a process with ≈ 35 MiB
 * live sat at 200–215 MiB RSS in the end-to-end benchmark. Growing by 100 % (2 × live) kept it at 145–147 MiB for
 * the same CPU per message (a full collection every ≈ 0.5 s instead of every ≈ 2 s, concurrent marking, ≈ 4 ms of
 * pause each): docs/benchmarks.md, "Round 4", and docs/decisions/heap-growth.md.
 *
 * Set at run time rather than as a command-line flag: V8 flags are not a stable interface, and a flag a future
 * Node does not know would stop `node` from starting, while `setFlagsFromString` ignores it. A value given on the
 * command line or in `NODE_OPTIONS` wins.
 */
import * as v8 from "node:v8"

/** The growth the app runs with, in percent of the live old generation. */
export const percent = 100

const flag = "--heap-growing-percent"

/** Whether the operator already chose a value (node arguments or `NODE_OPTIONS`). */
export const chosenByOperator = (execArgv: ReadonlyArray<string>, nodeOptions: string | undefined): boolean =>
  execArgv.some((arg) => arg.startsWith(flag) || arg.startsWith("--heap_growing_percent")) ||
  (nodeOptions ?? "").split(/\s+/).some((arg) => arg.startsWith(flag) || arg.startsWith("--heap_growing_percent"))

/** Applies {@link percent} unless the operator chose otherwise. */
export const apply = (): void => {
  if (!chosenByOperator(process.execArgv, process.env["NODE_OPTIONS"])) v8.setFlagsFromString(`${flag}=${percent}`)
}
