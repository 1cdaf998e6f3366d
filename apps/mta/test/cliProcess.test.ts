/**
 * `pnpm cartero queue ...` from the repository root, as an operator types it: arguments reach the CLI with and
 * without pnpm's `--`, stdout carries only the result, and an unknown id ends with one stderr line, exit code 1 and
 * no stack trace. Each child is bounded by a timeout and killed by pid.
 */
import { execFile } from "node:child_process"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import * as AppQueue from "../src/AppQueue.ts"

const root = fileURLToPath(new URL("../../..", import.meta.url))

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const withoutDataDir = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(env).filter(([k]) => k !== "CARTERO_DATA_DIR"))

const pnpm = (env: Record<string, string>, ...args: ReadonlyArray<string>): Effect.Effect<Result> =>
  Effect.callback<Result>((resume) => {
    const child = execFile("pnpm", ["cartero", ...args], {
      cwd: root,
      env: { ...withoutDataDir(process.env), CARTERO_REDIS_URL: "", CARTERO_CONFIG: "none", ...env },
      timeout: 30_000,
      killSignal: "SIGKILL"
    }, (error, stdout, stderr) => {
      resume(Effect.succeed({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr }))
    })
    return Effect.sync(() => {
      if (child.pid !== undefined && child.exitCode === null) child.kill("SIGKILL")
    })
  })

/** A queue database in `dir`, as the server would have created it. */
const createQueue = (dir: string) =>
  Effect.scoped(Layer.build(AppQueue.AppQueue.layer)).pipe(
    Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { CARTERO_DATA_DIR: dir } }))),
    Effect.orDie
  )

describe("pnpm cartero (child process)", () => {
  it.live("passes arguments through, with and without --, and fails cleanly on an unknown id", () => {
    const dir = mkdtempSync(join(tmpdir(), "cartero-cli-proc-"))
    return Effect.gen(function*() {
      const env = { CARTERO_DATA_DIR: dir }
      // No server ever ran here: refused, not an empty database created behind the operator's back.
      const missing = yield* pnpm(env, "queue", "list")
      assert.strictEqual(missing.code, 1)
      assert.include(missing.stderr, `cartero: no queue database at ${join(dir, "queue.sqlite")}: set CARTERO_DATA_DIR`)
      assert.isFalse(existsSync(join(dir, "queue.sqlite")))
      yield* createQueue(dir)

      const stats = yield* pnpm(env, "queue", "stats", "--json")
      assert.strictEqual(stats.code, 0, stats.stderr)
      assert.deepInclude(JSON.parse(stats.stdout), { store: `sqlite ${join(dir, "queue.sqlite")}`, messages: 0 })

      const dashed = yield* pnpm(env, "--", "queue", "list")
      assert.strictEqual(dashed.code, 0, dashed.stderr)
      assert.strictEqual(dashed.stdout, "queue is empty (no message matches)\n")

      const unknown = yield* pnpm(env, "queue", "show", "0nope")
      assert.strictEqual(unknown.code, 1)
      assert.strictEqual(unknown.stdout, "")
      assert.include(unknown.stderr, "cartero: no queued message \"0nope\"\n")
      assert.notMatch(unknown.stderr, /\n\s+at /, "no stack trace")
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))
  }, 60_000)

  it.live("without CARTERO_DATA_DIR it reads the repository's ./data, where scripts/start.sh and pnpm start write", () =>
    Effect.gen(function*() {
      const r = yield* pnpm({}, "queue", "stats", "--json")
      const expected = join(root, "data", "queue.sqlite")
      if (r.code === 0) assert.strictEqual((JSON.parse(r.stdout) as { store?: string }).store, `sqlite ${expected}`)
      else assert.include(r.stderr, `cartero: no queue database at ${expected}`)
    }), 60_000)
})
