/**
 * `pnpm --filter @cartero/mime fuzz`: mutates the corpus and checks every message in worker threads under a
 * watchdog (see driver.ts). Exits 1 when a message makes a reader throw, hang or take longer than the limit, 2 on
 * bad options.
 *
 * Options: `--count N` (default 2000), `--seconds S` overall bound (default 1800), `--seed N` (default 1),
 * `--limit-ms N` (default 1000), `--workers N` (default 2, or 1 on one core), `--index N` to check one message
 * only (repeatable), `--save DIR` to write each failing message to `DIR/<seed>-<index>.eml`.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { failed, failures, format, isFailure, run, type Options } from "./driver.ts"
import { loadCorpus, sample } from "./mutate.ts"

const usage = "usage: fuzz [--count N] [--seconds S] [--seed N] [--limit-ms N] [--workers N] [--index N]... [--save DIR]"

type Parsed = Options & { readonly save: string | undefined }

/** The whole-number options: their smallest value and what they are called in the options. */
const numbers: Readonly<Record<string, readonly [number, "count" | "seconds" | "seed" | "limitMs" | "workers" | "index"]>> = {
  "--count": [1, "count"],
  "--seconds": [1, "seconds"],
  "--seed": [0, "seed"],
  "--limit-ms": [1, "limitMs"],
  "--workers": [1, "workers"],
  "--index": [0, "index"]
}

const parseArgs = (argv: ReadonlyArray<string>): Parsed | string => {
  const values = { count: 2000, seconds: 1800, seed: 1, limitMs: 1000, workers: Math.max(1, Math.min(2, os.availableParallelism())), index: 0 }
  let save: string | undefined
  const only: Array<number> = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ""
    if (arg === "--") continue
    const value = argv[++i]
    if (arg === "--save") {
      if (value === undefined) return "--save: expected a directory"
      save = value
      continue
    }
    const spec = numbers[arg]
    if (spec === undefined) return `unknown option ${JSON.stringify(arg)}\n${usage}`
    const [min, key] = spec
    if (value === undefined || !/^\d+$/.test(value) || Number(value) < min) return `${arg}: expected a whole number ≥ ${min}, got ${JSON.stringify(value)}`
    values[key] = Number(value)
    if (key === "index") only.push(values.index)
  }
  const { index: _, ...options } = values
  return { ...options, save, ...(only.length > 0 ? { only } : {}) }
}

const options = parseArgs(process.argv.slice(2))
if (typeof options === "string") {
  console.error(options)
  process.exit(2)
}
const corpus = loadCorpus()
const total = options.only?.length ?? options.count
let failedSoFar = 0
const report = await run(corpus, {
  ...options,
  onOutcome: (o, done) => {
    if (isFailure(o, options.limitMs)) failedSoFar++
    if (done % 100 === 0 || done === total) console.log(`  ${done}/${total} checked, ${failedSoFar} failed`)
  }
})
console.log(format(report))
if (options.save !== undefined) {
  fs.mkdirSync(options.save, { recursive: true })
  for (const o of failures(report)) {
    fs.writeFileSync(path.join(options.save, `${options.seed}-${o.index}.eml`), sample(corpus, options.seed, o.index).bytes)
  }
}
process.exit(failed(report) ? 1 : 0)
