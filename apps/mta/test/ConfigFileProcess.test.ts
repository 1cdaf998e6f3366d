/**
 * The config file as an operator uses it: a `cartero.config.ts` in a directory of its own (outside the workspace),
 * the app built with it and started as `pnpm start` starts it (the bundle), then mail over SMTP and the Maildir.
 */
import { TempDir } from "@cartero/testing"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as AppProcess from "./support/AppProcess.ts"
import * as PolicyDialog from "./fixtures/policyDialog.ts"

const tempDir = TempDir.make()

// The operator's directory: the fixture config, copied where nothing of the workspace is above it.
const operatorDir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "cartero-operator-"))
const configFile = Path.join(operatorDir, "cartero.config.ts")
const withConfig = `dist/test-config-${process.pid}`
const withoutConfig = `dist/test-noconfig-${process.pid}`

beforeAll(() => {
  Fs.copyFileSync(Path.join(import.meta.dirname, "fixtures", "cartero.config.ts"), configFile)
  AppProcess.buildOrThrow(withConfig, { CARTERO_CONFIG: configFile })
  AppProcess.buildOrThrow(withoutConfig)
}, 180_000)
afterAll(() => {
  AppProcess.remove(withConfig)
  AppProcess.remove(withoutConfig)
  Fs.rmSync(operatorDir, { recursive: true, force: true })
})

/** The bound MX port, from the start-up line. */
const mxPort = (stdout: string): number => Number(/listeners="mx=127\.0\.0\.1:(\d+)"/.exec(stdout)?.[1] ?? "0")

describe("the config file, with the bundle", () => {
  it.live("found in the working directory: its plugin refuses one recipient (550 5.7.1) and tags the rest, in the Maildir", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const running = yield* AppProcess.spawn(
        AppProcess.runner.bundle(withConfig),
        { CARTERO_SMTP_PORT: "0", CARTERO_DATA_DIR: dataDir, CARTERO_LOG_LEVEL: "info" },
        operatorDir
      )
      yield* AppProcess.waitFor(running, "cartero started")
      assert.include(running.output.stdout, `config=${configFile}`, running.output.stderr)
      assert.include(running.output.stdout, "localDomains=example.test")
      yield* PolicyDialog.check(mxPort(running.output.stdout), dataDir)
      running.child.kill("SIGTERM")
      assert.strictEqual(yield* AppProcess.waitExit(running), 0)
    }).pipe(Effect.scoped))

  it.live("a bundle built without the file refuses to run without it, and one built with it refuses an edited copy", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const env = { CARTERO_SMTP_PORT: "0", CARTERO_DATA_DIR: dataDir }
      const stale = yield* AppProcess.spawn(AppProcess.runner.bundle(withoutConfig), env, operatorDir)
      assert.strictEqual(yield* AppProcess.waitExit(stale), 1)
      assert.include(stale.output.stderr, `cartero: cannot start: ${configFile}: not part of this build of the app; start with \`pnpm start\``)

      const edited = Path.join(operatorDir, "edited")
      Fs.mkdirSync(edited)
      Fs.copyFileSync(configFile, Path.join(edited, "cartero.config.ts"))
      Fs.appendFileSync(Path.join(edited, "cartero.config.ts"), "\n// edited after the build\n")
      const changed = yield* AppProcess.spawn(AppProcess.runner.bundle(withConfig), { ...env, CARTERO_CONFIG: Path.join(edited, "cartero.config.ts") }, operatorDir)
      assert.strictEqual(yield* AppProcess.waitExit(changed), 1)
      assert.include(changed.output.stderr, "not part of this build of the app")

      const original = Fs.readFileSync(configFile, "utf8")
      Fs.appendFileSync(configFile, "\n// edited after the build\n")
      const edits = yield* AppProcess.spawn(AppProcess.runner.bundle(withConfig), env, operatorDir)
      const code = yield* AppProcess.waitExit(edits).pipe(Effect.ensuring(Effect.sync(() => Fs.writeFileSync(configFile, original))))
      assert.strictEqual(code, 1)
      assert.include(edits.output.stderr, `${configFile}: changed since the app was built; start with \`pnpm start\``)
    }).pipe(Effect.scoped))

  it("a config that does not type-check stops the build with the compiler's message", () => {
    const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "cartero-badconfig-"))
    try {
      const file = Path.join(dir, "cartero.config.ts")
      Fs.writeFileSync(file, Fs.readFileSync(configFile, "utf8").replace("CARTERO_SMTP_PORT", "CARTERO_SMTP_PROT"))
      const built = AppProcess.build(`dist/test-bad-${process.pid}`, { CARTERO_CONFIG: file })
      assert.strictEqual(built.status, 1)
      assert.include(built.stderr, `${file} does not type-check`)
      assert.include(built.stderr, "'CARTERO_SMTP_PROT' does not exist in type 'Settings'. Did you mean to write 'CARTERO_SMTP_PORT'?")
    } finally {
      AppProcess.remove(`dist/test-bad-${process.pid}`)
      Fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
