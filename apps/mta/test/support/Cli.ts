/**
 * Running `cartero` in-process for tests: the same environment variables the app reads pick the store (through
 * `ConfigProvider.fromEnv`), and the command's stdout, stderr and exit code are captured.
 */
import { Console as NodeConsole } from "node:console"
import { Writable } from "node:stream"
import { NodeServices } from "@effect/platform-node"
import { assert } from "@effect/vitest"
import { ConfigProvider, Console, Effect, Exit } from "effect"
import * as Cli from "../../src/cli/Cli.ts"

export type Env = Record<string, string>

export interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const sink = (chunks: Array<string>) =>
  new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString())
      done()
    }
  })

/** Runs the CLI with `args` under `env`, as `src/cli.ts` would, capturing its output and exit code. */
export const cli = (env: Env, ...args: ReadonlyArray<string>): Effect.Effect<Run> =>
  Effect.gen(function*() {
    const out: Array<string> = []
    const err: Array<string> = []
    const console = new NodeConsole({ stdout: sink(out), stderr: sink(err) })
    const exit = yield* Cli.run(args).pipe(
      Effect.provide(NodeServices.layer),
      // No config file unless the test names one: a developer's own cartero.config.ts must not change the store.
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CARTERO_CONFIG: "none", ...env } }))),
      Effect.provideService(Console.Console, console),
      Effect.exit
    )
    const stderr = err.join("") + (Exit.isFailure(exit) ? Cli.errorText(exit.cause) : "")
    return { code: Cli.exitCode(exit), stdout: out.join(""), stderr }
  })

/** The JSON a successful run printed. */
export const json = (r: Run): unknown => {
  assert.strictEqual(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

/** The `items` of a `list --json` document. */
export const itemsOf = (v: unknown): ReadonlyArray<Record<string, unknown>> =>
  typeof v === "object" && v !== null && "items" in v && Array.isArray(v.items) ? v.items : []
