/**
 * `bash scripts/start.sh`, the README's first command, as a process: its pid becomes the server's (the script
 * ends with `exec node`), so SIGTERM to that pid stops the server cleanly; and the build it runs first can run
 * twice at once (two starts close together) without either losing its bundle.
 */
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"
import * as AppProcess from "./support/AppProcess.ts"

const tempDir = TempDir.make()
const repoRoot = Path.resolve(AppProcess.appDir, "..", "..")
const pnpmVersion = /^PNPM_VERSION=(\S+)$/m.exec(Fs.readFileSync(Path.join(repoRoot, "scripts", "bootstrap.sh"), "utf8"))?.[1] ?? ""

/** Whether something accepts connections on `port`. */
const listening = (port: number) =>
  Effect.callback<boolean>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => (socket.destroy(), resume(Effect.succeed(true))))
    socket.once("error", () => resume(Effect.succeed(false)))
  })

describe("scripts/start.sh", () => {
  it.live("SIGTERM to the script's pid reaches the server, which stops cleanly (exit 0, port closed)", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      // The install step (scripts/bootstrap.sh) must not run `pnpm install` under the other tests' feet: a `pnpm`
      // that is the pinned version and does nothing stands in for it. Everything after it is the script's own.
      const bin = Path.join(dataDir, "bin")
      Fs.mkdirSync(bin)
      Fs.writeFileSync(Path.join(bin, "pnpm"), `#!/bin/sh\n[ "$1" = "--version" ] && echo ${pnpmVersion}\nexit 0\n`, { mode: 0o755 })
      const running = yield* AppProcess.spawn(
        { command: "bash", args: ["scripts/start.sh"] },
        {
          CARTERO_DATA_DIR: dataDir,
          CARTERO_SMTP_PORT: "0",
          CARTERO_CONFIG: "none",
          PATH: `${bin}:${process.env["PATH"] ?? ""}`,
          // The documented examples of two duration settings, at a real start.
          CARTERO_QUEUE_RETAIN: "1h",
          CARTERO_DNS_TIMEOUT: "5s"
        },
        repoRoot
      )
      yield* AppProcess.waitFor(running, "cartero started")
      assert.include(running.output.stdout, "cartero started", running.output.stderr)
      const port = Number(/mx=127\.0\.0\.1:(\d+)/.exec(running.output.stdout)?.[1])
      assert.isTrue(yield* listening(port))

      const pid = running.child.pid
      if (pid === undefined) return assert.fail("no pid")
      process.kill(pid, "SIGTERM") // the script's own pid, not its process group
      const code = yield* AppProcess.waitExit(running)
      assert.strictEqual(code, 0, running.output.stderr)
      assert.include(running.output.stdout, "cartero stopping")
      assert.isFalse(yield* listening(port), "the server is gone with the script")
    }).pipe(Effect.scoped), 150_000)
})

describe("scripts/start.sh and pnpm start", () => {
  it("run the bundle with the same node flags (the script repeats `pnpm start` without pnpm)", () => {
    const script = Fs.readFileSync(Path.join(repoRoot, "scripts", "start.sh"), "utf8")
    const manifest = JSON.parse(Fs.readFileSync(Path.join(AppProcess.appDir, "package.json"), "utf8")) as { scripts: { start: string } }
    const execLine = /^exec node (.*) apps\/mta\/dist\/main\.mjs$/m.exec(script)?.[1]
    const startLine = /&& node (.*) dist\/main\.mjs$/.exec(manifest.scripts.start)?.[1]
    assert.isDefined(execLine, "start.sh ends with exec node … apps/mta/dist/main.mjs")
    assert.strictEqual(execLine, startLine)
    assert.match(script.trimEnd().split("\n").at(-1) ?? "", /^exec node /, "exec is the script's last command")
  })
})

describe("scripts/build.mjs", () => {
  const outdir = `dist/test-concurrent-${process.pid}`

  const buildAsync = () =>
    new Promise<{ readonly code: number | null; readonly stderr: string }>((resolve) => {
      const child = ChildProcess.execFile(process.execPath, ["scripts/build.mjs", "--outdir", outdir], {
        cwd: AppProcess.appDir,
        env: { ...process.env, CARTERO_CONFIG: "none" },
        timeout: 120_000
      }, (error, _stdout, stderr) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stderr }))
      child.stdin?.end()
    })

  it.live("two builds at once both succeed, and the bundle never goes missing meanwhile", () =>
    Effect.gen(function*() {
      AppProcess.buildOrThrow(outdir, { CARTERO_CONFIG: "none" })
      const main = Path.join(AppProcess.appDir, outdir, "main.mjs")
      const complete = Fs.readFileSync(main, "utf8").length
      // What a `node dist/main.mjs` starting meanwhile would find: polled while both builds run.
      const missing: Array<string> = []
      const poll = setInterval(() => {
        try {
          const size = Fs.statSync(main).size
          if (size < complete / 2) missing.push(`truncated (${size} bytes)`)
        } catch (error) {
          missing.push(String(error))
        }
      }, 2)
      const results = yield* Effect.promise(() => Promise.all([buildAsync(), buildAsync()])).pipe(
        Effect.ensuring(Effect.sync(() => clearInterval(poll)))
      )
      for (const r of results) assert.strictEqual(r.code, 0, r.stderr)
      assert.deepStrictEqual(missing.slice(0, 3), [])
      // no staging file left behind (the server's lazily loaded parts are in chunks/)
      assert.deepStrictEqual(Fs.readdirSync(Path.join(AppProcess.appDir, outdir)).sort(), ["chunks", "cli.mjs", "cli.mjs.map", "main.mjs", "main.mjs.map"])
      assert.isTrue(Fs.readdirSync(Path.join(AppProcess.appDir, outdir, "chunks")).every((f) => /\.mjs(\.map)?$/.test(f)))
    }).pipe(Effect.ensuring(Effect.sync(() => AppProcess.remove(outdir)))), 240_000)
})
