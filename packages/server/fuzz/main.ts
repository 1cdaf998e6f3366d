/**
 * `pnpm --filter @cartero/server fuzz [--runs N] [--seconds S] [--seed X] [--timeout MS]`: the long run of the
 * property in test/Fuzz.test.ts. Starts the real server on loopback ({@link FuzzServer}), sends randomized and
 * mutated command sequences ({@link Commands.payload}), one connection each, and checks that every reply line is
 * well formed and the connection closes after QUIT; after every run a fresh client must still be served. Stops
 * after `--runs` inputs (default 100000) or `--seconds` (default 60), whichever comes first.
 *
 * On a failure it prints the failing input (shrunk by fast-check), the seed and the replay path, and exits 1: re-run
 * with the same `--seed` to reproduce. Exit 0: every input passed. Exit 2: bad arguments.
 *
 * @since 0.1.0
 */
import { Effect, Exit, Layer, References } from "effect"
import fc from "fast-check"
import { SmtpServer } from "../src/index.ts"
import * as Commands from "./Commands.ts"
import * as FuzzClient from "./FuzzClient.ts"
import * as FuzzServer from "./FuzzServer.ts"

const usage = "usage: pnpm --filter @cartero/server fuzz [--runs N] [--seconds S] [--seed X] [--timeout MS]"

const option = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  if (at < 0) return fallback
  const value = Number(process.argv[at + 1])
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(`--${name}: expected a non-negative integer, got ${JSON.stringify(process.argv[at + 1] ?? "")}\n${usage}\n`)
    process.exit(2)
  }
  return value
}

const runs = option("runs", 100_000)
const seconds = option("seconds", 60)
const seed = option("seed", Date.now() % 2 ** 31)
const timeout = option("timeout", 5000)

const fuzz = Effect.gen(function*() {
  const server = yield* SmtpServer.SmtpServer
  const targets = server.listeners.map((l): FuzzClient.Target => ({ host: l.host, port: l.port }))
  process.stdout.write(
    `fuzzing ${targets.map((t) => `${t.host}:${t.port}`).join(" ")}: up to ${runs} runs or ${seconds} s, seed ${seed}\n`
  )
  let done = 0
  const started = Date.now()
  const report = setInterval(() => process.stdout.write(`  ${done} runs, ${Math.round((Date.now() - started) / 1000)} s\n`), 10_000)
  const details = yield* Effect.promise(() =>
    fc.check(
      fc.asyncProperty(Commands.payload, fc.constantFrom(...targets), async (pieces, target) => {
        done++
        const { problem, received } = await FuzzClient.exchange(target, pieces, timeout)
        if (problem !== undefined) throw new Error(`${problem}\n  received: ${JSON.stringify(received)}`)
        const health = await FuzzClient.healthy(targets[0] ?? target, timeout)
        if (health !== undefined) throw new Error(`after this input, ${health}`)
      }),
      { numRuns: runs, seed, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false }
    )
  ).pipe(Effect.ensuring(Effect.sync(() => clearInterval(report))))
  const elapsed = ((Date.now() - started) / 1000).toFixed(1)
  if (!details.failed) {
    process.stdout.write(`ok: ${details.numRuns} runs in ${elapsed} s, every reply well formed, the server still serving (seed ${seed})\n`)
    return true
  }
  const input = details.counterexample?.[0]
  process.stdout.write(
    `FAILED after ${details.numRuns} runs (${elapsed} s), seed ${seed}, path ${details.counterexamplePath ?? "-"}\n` +
      `  input (shrunk, as the pieces written): ${input === undefined ? "-" : Commands.show(input)}\n` +
      `  to listener: ${JSON.stringify(details.counterexample?.[1])}\n` +
      `  ${String(details.errorInstance instanceof Error ? details.errorInstance.message : details.errorInstance)}\n`
  )
  return false
})

const program = fuzz.pipe(
  Effect.provide(FuzzServer.layer().pipe(Layer.orDie)),
  Effect.provideService(References.MinimumLogLevel, "None")
)

Effect.runPromiseExit(program).then((exit) => {
  if (Exit.isSuccess(exit)) process.exit(exit.value ? 0 : 1)
  process.stderr.write(`the fuzzer failed: ${String(exit.cause)}\n`)
  process.exit(1)
})
