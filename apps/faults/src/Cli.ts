/**
 * The command line: `pnpm faults [scenario…] [--messages N] [--store sqlite|redis] [--json]`.
 *
 * No scenario runs them all, in the matrix's order. A leading `--` (pnpm passes it through) is skipped.
 *
 * @since 0.1.0
 */
import { Result } from "effect"
import type * as Mta from "./Mta.ts"

export interface Options {
  readonly help: boolean
  /** Scenario names, in the order given (empty: all). */
  readonly scenarios: ReadonlyArray<string>
  readonly messages: number
  readonly store: Mta.Store | undefined
  readonly json: boolean
}

export const defaults: Options = { help: false, scenarios: [], messages: 200, store: undefined, json: false }

export const usage = (names: ReadonlyArray<{ readonly name: string; readonly summary: string }>): string =>
  [
    "usage: pnpm faults [scenario...] [--messages N] [--store sqlite|redis] [--json]",
    "",
    "Runs fault scenarios against the reference app (apps/mta) on loopback and prints one row each:",
    "sent, accepted (250s), retried, delivered (unique), duplicated, lost (accepted, never delivered), seconds, notes.",
    "Exit code 1 when a scenario lost an acknowledged message (or could not run); 2 for bad arguments.",
    "",
    "scenarios (default: all, in this order):",
    ...names.map((s) => `  ${s.name.padEnd(20)} ${s.summary}`),
    "",
    "options:",
    "  --messages N        messages the clients send per scenario (default 200)",
    "  --store S           sqlite or redis, for the scenarios whose subject is not the store (kill-*, dns-down, flapping-next-hop)",
    "  --json              one JSON object per scenario (JSON Lines) instead of the table",
    ""
  ].join("\n")

/** Parses argv (without `node` and the script) against the known scenario names. */
export const parse = (argv: ReadonlyArray<string>, known: ReadonlyArray<string>): Result.Result<Options, string> => {
  const args = argv.filter((a, i) => !(a === "--" && i === 0))
  let o: Options = defaults
  const scenarios: Array<string> = []
  // Each iteration consumes one or two arguments: bounded by the argument count.
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? ""
    const value = args[i + 1]
    switch (arg) {
      case "--":
        break
      case "-h":
      case "--help":
      case "help":
        o = { ...o, help: true }
        break
      case "--json":
        o = { ...o, json: true }
        break
      case "--messages": {
        const n = Number(value)
        if (value === undefined || !Number.isInteger(n) || n < 1 || n > 100_000) {
          return Result.fail(`--messages: expected an integer 1-100000, got ${JSON.stringify(value ?? "")}`)
        }
        o = { ...o, messages: n }
        i++
        break
      }
      case "--store":
        if (value !== "sqlite" && value !== "redis") return Result.fail(`--store: expected sqlite or redis, got ${JSON.stringify(value ?? "")}`)
        o = { ...o, store: value }
        i++
        break
      default:
        if (arg.startsWith("-")) return Result.fail(`unknown option ${JSON.stringify(arg)}`)
        if (!known.includes(arg)) return Result.fail(`unknown scenario ${JSON.stringify(arg)}`)
        if (!scenarios.includes(arg)) scenarios.push(arg)
    }
  }
  return Result.succeed({ ...o, scenarios })
}
