import { Plugin } from "@cartero/core"
import { SmtpServer } from "@cartero/server"
import { TempDir } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Layer } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { AppConfig } from "../src/AppConfig.ts"
import * as CarteroConfig from "../src/CarteroConfig.ts"
import * as ConfigFile from "../src/ConfigFile.ts"
import * as ConfigPath from "../src/ConfigPath.ts"
import * as PolicyDialog from "./fixtures/policyDialog.ts"
import { MtaApp } from "../src/MtaApp.ts"

const tempDir = TempDir.make()
const fixture = Path.join(import.meta.dirname, "fixtures", "cartero.config.ts")
const withEnv = (env: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))

/** The app as `pnpm start` runs it (config file + environment), in-process; where its MX listens. */
const startApp = (env: Record<string, string>) =>
  Effect.gen(function*() {
    const context = yield* Layer.build(MtaApp.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))
    const mx = Context.get(context, SmtpServer.SmtpServer).address("mx")
    if (mx === undefined) return yield* Effect.die("no MX listener")
    return { mx, config: Context.get(context, AppConfig) }
  })

describe("the config file, in-process (sources)", () => {
  it.live("adds its plugin ahead of the defaults: one recipient refused with 550 5.7.1, the others stored with its header", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const { config, mx } = yield* startApp({ CARTERO_CONFIG: fixture, CARTERO_SMTP_PORT: "0", CARTERO_DATA_DIR: dataDir })
      // The environment wins (port 0, not the file's 2626); the file wins over the app's default (localhost).
      assert.notStrictEqual(mx.port, 2626)
      assert.deepStrictEqual(config.localDomains, ["example.test"])
      yield* PolicyDialog.check(mx.port, dataDir)
    }).pipe(Effect.scoped))

  it.live("without a file (CARTERO_CONFIG=none: whatever is in the working directory) the app runs on its defaults", () =>
    Effect.gen(function*() {
      const dataDir = yield* tempDir
      const { config } = yield* startApp({ CARTERO_CONFIG: "none", CARTERO_SMTP_PORT: "0", CARTERO_DATA_DIR: dataDir })
      assert.deepStrictEqual(config.localDomains, ["localhost"])
    }).pipe(Effect.scoped))

  it.effect("CARTERO_CONFIG naming no file stops start-up with the Setting wording", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(ConfigFile.load)
      assert.strictEqual(error.message, `CARTERO_CONFIG: expected the path of an existing file, got "/nonexistent/cartero.config.ts"`)
    }).pipe(withEnv({ CARTERO_CONFIG: "/nonexistent/cartero.config.ts" })))

  it.live("a file whose default export is not a config stops start-up naming the file and the problem", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const path = Path.join(dir, "cartero.config.mjs")
      yield* Effect.promise(() => Fs.writeFile(path, `export default { plugins: [], setings: {} }\n`))
      const exit = yield* Effect.exit(ConfigFile.load.pipe(withEnv({ CARTERO_CONFIG: path })))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), `${path}: unknown key "setings"; a config has plugins, outbound, settings`)
    }).pipe(Effect.scoped))
})

describe("ConfigPath.locate", () => {
  it.live("CARTERO_CONFIG (relative to the working directory), else cartero.config.ts there, else none", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      assert.deepStrictEqual(ConfigPath.locate(undefined, dir), { _tag: "None" })
      assert.deepStrictEqual(ConfigPath.locate("other.ts", dir), { _tag: "Missing", path: Path.join(dir, "other.ts") })
      yield* Effect.promise(() => Fs.writeFile(Path.join(dir, "cartero.config.ts"), "export default {}\n"))
      assert.deepStrictEqual(ConfigPath.locate(undefined, dir), { _tag: "Found", path: Path.join(dir, "cartero.config.ts") })
      assert.deepStrictEqual(ConfigPath.locate(" ", dir), { _tag: "Found", path: Path.join(dir, "cartero.config.ts") })
      assert.deepStrictEqual(ConfigPath.locate("none", dir), { _tag: "None" })
      assert.strictEqual(ConfigPath.workingDirectory({ INIT_CWD: "/srv/x" }, "/elsewhere"), "/srv/x")
      assert.strictEqual(ConfigPath.workingDirectory({}, "/elsewhere"), "/elsewhere")
    }).pipe(Effect.scoped))
})

describe("defineConfig (for what the compiler did not check)", () => {
  const plugin = Plugin.make("p", Effect.succeed({}))
  const check = (config: unknown) => CarteroConfig.problem(config)

  it("accepts plugins, outbound plugins and settings of every value kind", () => {
    assert.strictEqual(check({ plugins: [plugin], outbound: [], settings: { CARTERO_SMTP_PORT: 25, CARTERO_REVERSE_DNS: true, CARTERO_LOCAL_DOMAINS: ["a.test"] } }), undefined)
    assert.strictEqual(CarteroConfig.defineConfig({ plugins: [plugin] }).plugins?.[0], plugin)
  })

  it("names what is wrong", () => {
    assert.strictEqual(check([]), "the default export must be defineConfig({ ... })")
    assert.strictEqual(check({ plugin: [] }), `unknown key "plugin"; a config has plugins, outbound, settings`)
    assert.strictEqual(check({ plugins: [plugin, { name: "x" }] }), "plugins[1] is not a plugin (made with Plugin.make or OutboundHooks.make)")
    assert.strictEqual(check({ settings: { CARTERO_SMTP_PROT: "25" } }), `unknown setting "CARTERO_SMTP_PROT" (docs/configuration.md lists them)`)
    assert.strictEqual(check({ settings: { CARTERO_PROCESSES: 2 } }), "CARTERO_PROCESSES acts before the config file is read: set it in the environment")
    assert.strictEqual(check({ settings: { CARTERO_SMTP_PORT: { port: 25 } } }), "CARTERO_SMTP_PORT: expected text, a number, a boolean or a list of text")
    assert.throws(() => CarteroConfig.defineConfig({ settings: { CARTERO_SMTP_PROT: 25 } } as CarteroConfig.CarteroConfig), /defineConfig: unknown setting/)
  })

  it("writes values as the environment holds them", () => {
    assert.deepStrictEqual(CarteroConfig.settingsText({ CARTERO_SMTP_PORT: 25, CARTERO_REVERSE_DNS: false, CARTERO_LOCAL_DOMAINS: ["a.test", "b.test"] }), {
      CARTERO_SMTP_PORT: "25",
      CARTERO_REVERSE_DNS: "false",
      CARTERO_LOCAL_DOMAINS: "a.test,b.test"
    })
  })

  it("knows every setting docs/configuration.md documents (but the process-level ones)", async () => {
    const docs = await Fs.readFile(Path.join(import.meta.dirname, "..", "..", "..", "docs", "configuration.md"), "utf8")
    // The first cell of each table row names the setting(s) documented there.
    const firstCells = docs.split("\n").filter((l) => l.startsWith("| `CARTERO_")).map((l) => l.split("|")[1] ?? "")
    const documented = new Set(firstCells.flatMap((cell) => cell.match(/CARTERO_[A-Z0-9_]+/g) ?? []))
    const processLevel = ["CARTERO_PROCESSES", "CARTERO_HEAP_GROWTH", "CARTERO_CONFIG"]
    const known = new Set<string>(CarteroConfig.settingNames)
    assert.deepStrictEqual([...documented].filter((v) => !known.has(v) && !processLevel.includes(v)).sort(), [])
    assert.deepStrictEqual([...known].filter((v) => !documented.has(v)).sort(), [])
  })
})
