import { TempDir } from "@cartero/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as AppProcess from "./support/AppProcess.ts"
import * as OtlpReceiver from "./support/OtlpReceiver.ts"

const tempDir = TempDir.make()

// The bundle `pnpm start` runs, built once for this file into a directory of its own, independent of any earlier
// `pnpm build`.
const bundleDir = `dist/test-${process.pid}`
beforeAll(() => AppProcess.buildOrThrow(bundleDir), 90_000)
afterAll(() => AppProcess.remove(bundleDir))

const runners = { tsx: AppProcess.runner.tsx(), bundle: AppProcess.runner.bundle(bundleDir) } as const
const spawnApp = (runner: keyof typeof runners, env: Record<string, string>) => AppProcess.spawn(runners[runner], env)
const { waitExit } = AppProcess

describe.each(["tsx", "bundle"] as const)("the app process (%s)", (runner) => {
  it.live("a bad value exits 1 with a message naming the variable, without a stack trace", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp(runner, { CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "abc" })
      const code = yield* waitExit(running)
      assert.strictEqual(code, 1, running.output.stderr)
      assert.include(running.output.stderr, "CARTERO_SMTP_PORT")
      assert.include(running.output.stderr, "expected an integer")
      assert.notMatch(running.output.stderr, /^\s+at /m)
    }).pipe(Effect.scoped))

  it.live("a bad CARTERO_HEAP_GROWTH exits 1 before anything starts, naming the variable", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp(runner, { CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "0", CARTERO_HEAP_GROWTH: "lots" })
      const code = yield* waitExit(running)
      assert.strictEqual(code, 1, running.output.stderr)
      assert.include(running.output.stderr, "cartero: cannot start: CARTERO_HEAP_GROWTH: expected an integer 0-1000")
      assert.notInclude(running.output.stdout, "cartero started")
    }).pipe(Effect.scoped))

  it.live("SIGTERM stops it cleanly with exit code 0", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp(runner, { CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "0", CARTERO_LOG_FORMAT: "json" })
      yield* AppProcess.waitFor(running, "cartero started")
      assert.include(running.output.stdout, "cartero started", running.output.stderr)
      const started = running.output.stdout.split("\n").find((l) => l.includes("cartero started")) ?? ""
      const line = JSON.parse(started) as { annotations?: Record<string, unknown> }
      assert.include(String(line.annotations?.["listeners"]), "mx=127.0.0.1:")
      assert.strictEqual(line.annotations?.["localDomains"], "localhost")
      running.child.kill("SIGTERM")
      const code = yield* waitExit(running)
      assert.strictEqual(code, 0, running.output.stderr)
      assert.include(running.output.stdout, "cartero stopping")
    }).pipe(Effect.scoped))

  it.live("with CARTERO_HTTP_PORT the HTTP API and the web UI answer (in the bundle: a chunk loaded on demand, the UI's files found from it)", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* spawnApp(runner, { CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "0", CARTERO_HTTP_PORT: "0", CARTERO_LOG_FORMAT: "json" })
      yield* AppProcess.waitFor(running, "cartero started")
      const started = running.output.stdout.split("\n").find((l) => l.includes("cartero started")) ?? ""
      const http = String((JSON.parse(started) as { annotations?: Record<string, unknown> }).annotations?.["http"])
      assert.match(http, /^127\.0\.0\.1:\d+$/, running.output.stdout)
      const ready = yield* Effect.promise(() => fetch(`http://${http}/readyz`).then((r) => r.status))
      assert.strictEqual(ready, 200)
      // The web UI's files (in @cartero/web-ui and its libraries' node_modules) are found from the sources and the bundle.
      const page = yield* Effect.promise(() => fetch(`http://${http}/`).then(async (r) => ({ status: r.status, text: await r.text() })))
      assert.strictEqual(page.status, 200, page.text)
      const base = /src="(\/ui\/[0-9a-f]+)\/app\.mjs"/.exec(page.text)?.[1] ?? "/ui/missing"
      for (const file of ["app.mjs", "vendor/preact.mjs", "vendor/hooks.mjs", "vendor/htm.mjs"]) {
        const status = yield* Effect.promise(() => fetch(`http://${http}${base}/${file}`).then((r) => r.status))
        assert.strictEqual(status, 200, file)
      }
      running.child.kill("SIGTERM")
      assert.strictEqual(yield* waitExit(running), 0, running.output.stderr)
    }).pipe(Effect.scoped))

  it.live("with CARTERO_OTLP_ENDPOINT spans are exported, the last ones on SIGTERM (in the bundle: a chunk loaded on demand)", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const collector = yield* OtlpReceiver.make
      const running = yield* spawnApp(runner, { CARTERO_DATA_DIR: dataDir, CARTERO_SMTP_PORT: "0", CARTERO_OTLP_ENDPOINT: collector.endpoint })
      yield* AppProcess.waitFor(running, "cartero started")
      running.child.kill("SIGTERM")
      assert.strictEqual(yield* waitExit(running), 0, running.output.stderr)
      // The plugins are built in spans of their own (core Plugin.buildAll).
      const names = collector.spans.map((s) => `${s.service}:${s.name}`)
      assert.include(names, "cartero:plugin.queue.build", running.output.stdout)
      assert.deepStrictEqual(collector.problems, [])
    }).pipe(Effect.scoped))
})
