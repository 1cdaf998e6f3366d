/**
 * Does an AUTH flood starve Maildir's file writes? scrypt runs on libuv's thread pool, which the file system calls
 * of the Maildir store share (4 threads unless `UV_THREADPOOL_SIZE` says otherwise).
 *
 * ```
 * UV_THREADPOOL_SIZE=4 pnpm --filter @cartero/plugin-auth exec tsx bench/auth-flood.ts --flood 50 --bound 0
 * UV_THREADPOOL_SIZE=4 pnpm --filter @cartero/plugin-auth exec tsx bench/auth-flood.ts --flood 50 --bound 2
 * UV_THREADPOOL_SIZE=16 pnpm --filter @cartero/plugin-auth exec tsx bench/auth-flood.ts --flood 50 --bound 2
 * ```
 *
 * `--flood K` AUTH attempts for unknown users run at once, each followed by the next (the plugin's own `auth` hook,
 * default scrypt parameters); `--bound N` is the plugin's `maxConcurrentChecks` (0: unbounded, as before). Meanwhile
 * one writer stores 4 KiB messages the way Maildir does (create in `tmp/`, write, fsync, close, rename into `new/`)
 * for `--seconds S`. Printed: the write latency (p50, p99, max, ms) and the checks per second. A figure, not a test.
 *
 * @since 0.1.0
 */
import { Effect, Fiber, Result, Semaphore } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { Auth, PasswordHash, Users } from "../src/index.ts"
import { attempt, connection } from "../test/Session.fixture.ts"

const arg = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(`--${name}`)
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback
  return Number.isFinite(value) ? value : fallback
}

const flood = arg("flood", 50)
const bound = arg("bound", Auth.defaultConcurrentChecks)
const seconds = arg("seconds", 5)

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN

const program = Effect.gen(function*() {
  const dir = yield* Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "cartero-auth-flood-")))
  yield* Effect.promise(() => Promise.all([Fs.mkdir(Path.join(dir, "tmp")), Fs.mkdir(Path.join(dir, "new"))]))
  const db = Result.getOrThrow(Users.make([]))
  const pool = yield* Semaphore.make(bound > 0 ? bound : 1_000_000)
  const hooks = Auth.hooks(db, { dummy: yield* PasswordHash.dummy(), pool }, true)
  const auth = hooks.auth
  if (auth === undefined) return yield* Effect.die("no auth hook")
  let checks = 0
  let running = true
  const attacker = Effect.gen(function*() {
    while (running) {
      yield* auth(connection(), attempt("nobody@example.test", "guess"))
      checks++
    }
  })
  const attackers = yield* Effect.forEach(Array.from({ length: flood }), () => Effect.forkChild(attacker))
  yield* Effect.sleep("500 millis")
  checks = 0
  const body = Buffer.alloc(4096, "x")
  const latencies: Array<number> = []
  const deadline = performance.now() + seconds * 1000
  for (let i = 0; performance.now() < deadline; i++) {
    const started = performance.now()
    yield* Effect.promise(async () => {
      const tmp = Path.join(dir, "tmp", `m${i}`)
      const file = await Fs.open(tmp, "wx")
      await file.write(body)
      await file.sync()
      await file.close()
      await Fs.rename(tmp, Path.join(dir, "new", `m${i}`))
    })
    latencies.push(performance.now() - started)
  }
  running = false
  yield* Effect.forEach(attackers, Fiber.join)
  yield* Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  const sorted = [...latencies].sort((a, b) => a - b)
  const f = (n: number) => n.toFixed(1)
  process.stdout.write(
    `UV_THREADPOOL_SIZE=${process.env["UV_THREADPOOL_SIZE"] ?? "4 (default)"} flood=${flood} bound=${bound || "none"}: ` +
      `${latencies.length} writes, p50 ${f(percentile(sorted, 50))} ms, p99 ${f(percentile(sorted, 99))} ms, ` +
      `max ${f(sorted.at(-1) ?? Number.NaN)} ms; ${(checks / seconds).toFixed(0)} checks/s\n`
  )
})

Effect.runPromise(program).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`)
  process.exit(1)
})
