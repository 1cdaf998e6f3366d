/**
 * The long fuzz run: every property of `@cartero/smtp/testing` (reply parsing and storage, paths and mailboxes,
 * stored envelopes) with many generated cases, bounded by a number of runs and a time budget.
 *
 * ```sh
 * pnpm --filter @cartero/smtp fuzz                          # 100 000 runs per property, at most 60 s in all
 * pnpm --filter @cartero/smtp fuzz -- --runs 1000000 --seconds 600
 * pnpm --filter @cartero/smtp fuzz -- --only reply-round-trip --seed 42
 * ```
 *
 * Prints each property, the runs made and the seed; on a failure, fast-check's report (the shrunk counterexample
 * and how to replay it) and exit code 1. Usage errors exit 2.
 *
 * @since 0.1.0
 */
import { Properties } from "../src/testing.ts"

interface Options {
  readonly runs: number
  readonly seconds: number
  readonly seed: number
  readonly only: ReadonlyArray<string>
}

const usage = `usage: pnpm --filter @cartero/smtp fuzz [-- --runs N] [--seconds S] [--seed N] [--only NAME[,NAME]]
  --runs N      generated cases per property (default 100000)
  --seconds S   time budget for the whole run, shared by the properties (default 60)
  --seed N      fast-check seed, to replay a run (default: random, printed)
  --only NAMES  comma-separated property names: ${Properties.all.map((p) => p.name).join(", ")}`

const fail = (message: string): never => {
  process.stderr.write(`fuzz: ${message}\n${usage}\n`)
  process.exit(2)
}

const positive = (flag: string, value: string | undefined): number => {
  const n = Number(value)
  return value !== undefined && Number.isInteger(n) && n > 0 ? n : fail(`${flag} expects a positive integer, got ${JSON.stringify(value ?? "")}`)
}

const parse = (args: ReadonlyArray<string>): Options => {
  let runs = 100_000
  let seconds = 60
  let seed = Math.floor(Math.random() * 0x7fffffff)
  let only: ReadonlyArray<string> = []
  // pnpm passes a leading `--` through.
  const rest = args[0] === "--" ? args.slice(1) : [...args]
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]
    const value = rest[i + 1]
    switch (flag) {
      case "--runs":
        runs = positive(flag, value)
        i++
        break
      case "--seconds":
        seconds = positive(flag, value)
        i++
        break
      case "--seed":
        seed = value !== undefined && /^-?\d+$/.test(value) ? Number(value) : fail(`--seed expects an integer, got ${JSON.stringify(value ?? "")}`)
        i++
        break
      case "--only":
        only = (value ?? "").split(",").filter((n) => n !== "")
        for (const name of only) if (!Properties.all.some((p) => p.name === name)) fail(`no property ${JSON.stringify(name)}`)
        i++
        break
      case "--help":
      case "-h":
        process.stdout.write(`${usage}\n`)
        process.exit(0)
        break
      default:
        fail(`unknown argument ${JSON.stringify(flag)}`)
    }
  }
  return { runs, seconds, seed, only }
}

const main = (): number => {
  const options = parse(process.argv.slice(2))
  const properties = options.only.length === 0 ? Properties.all : Properties.all.filter((p) => options.only.includes(p.name))
  const started = Date.now()
  const deadline = started + options.seconds * 1000
  process.stdout.write(`fuzz: ${properties.length} properties, up to ${options.runs} runs each, ${options.seconds} s in all, seed ${options.seed}\n`)
  let failures = 0
  for (const [i, p] of properties.entries()) {
    // Each property gets an equal share of what is left of the budget.
    const share = Math.max(1, Math.floor((deadline - Date.now()) / (properties.length - i)))
    const t0 = Date.now()
    const outcome = p.check({ numRuns: options.runs, seed: options.seed, interruptAfterTimeLimit: share })
    const ms = Date.now() - t0
    const status = outcome.failed ? "FAILED" : outcome.interrupted ? "ok (time budget reached)" : "ok"
    process.stdout.write(`  ${p.name.padEnd(18)} ${String(outcome.numRuns).padStart(9)} runs  ${String(ms).padStart(6)} ms  ${status}\n`)
    if (outcome.failed) {
      failures++
      process.stdout.write(`    ${p.description}\n${(outcome.report ?? "").replace(/^/gm, "    ")}\n`)
    }
  }
  const total = ((Date.now() - started) / 1000).toFixed(1)
  process.stdout.write(failures === 0
    ? `fuzz: all ${properties.length} properties held (${total} s, seed ${options.seed})\n`
    : `fuzz: ${failures} of ${properties.length} properties failed (${total} s); replay with --seed ${options.seed}\n`)
  return failures === 0 ? 0 : 1
}

process.exitCode = main()
