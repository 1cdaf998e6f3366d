/**
 * `cartero config check`: reads and validates every setting and the config file the way the server would at
 * start, without starting it (no listener, no connection to Redis, no database opened), like `postfix check`. Each
 * check prints `ok` or `error` with its problem; the exit code is 0 when all pass, 1 otherwise; `--json` gives
 * `{ ok, checks: [{ check, ok, detail }] }`.
 *
 * The checks: the config file (found, loads, right shape); the process settings read before anything else
 * (`CARTERO_PROCESSES`, `CARTERO_HEAP_GROWTH`); the app's own (log level and format, local domains, Maildir
 * root); the SMTP server's (listeners, limits, TLS files named); delivery; DNS; the queue store choice and its
 * settings; the policy store; the users file (every line parsed as the auth plugin parses it); the traces exporter's
 * settings (`CARTERO_OTLP_*`); and every inbound
 * plugin of the config, built against stand-in services (an in-memory queue and policy store, a DNS with no
 * answers) so that their own options and settings are checked too. Outbound plugins are not built (they need the
 * running server); delivery's settings are.
 *
 * @since 0.1.0
 */
import { Pipeline } from "@cartero/core"
import { DeliveryConfig } from "@cartero/delivery"
import { Dns } from "@cartero/dns"
import { AuthConfig, Users } from "@cartero/plugin-auth"
import { PolicyStore } from "@cartero/policy-store"
import { MailQueue, MemoryQueueStore } from "@cartero/queue"
import { ServerConfig } from "@cartero/server"
import { Setting } from "@cartero/settings"
import { Config, ConfigProvider, Console, Duration, Effect, Layer, References, Result, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as AppConfigModule from "../AppConfig.ts"
import { AppConfig } from "../AppConfig.ts"
import * as AppQueue from "../AppQueue.ts"
import * as Cluster from "../Cluster.ts"
import * as ConfigFile from "../ConfigFile.ts"
import * as Defaults from "../Defaults.ts"
import * as HeapGrowth from "../HeapGrowth.ts"
import * as ProcessExit from "../ProcessExit.ts"
import * as Traces from "../Traces.ts"

/** Some checks failed (each was printed). */
export class CheckFailed extends Schema.TaggedError<CheckFailed>()("CheckFailed", { failed: Schema.Number }) {
  override get message(): string {
    return `${this.failed} check${this.failed === 1 ? "" : "s"} failed`
  }
}

/** One check's result. */
export interface CheckResult {
  readonly check: string
  readonly ok: boolean
  /** What was found (ok) or what is wrong (error). */
  readonly detail: string
}

const run = <E, R>(check: string, effect: Effect.Effect<string, E, R>): Effect.Effect<CheckResult, never, R> =>
  effect.pipe(
    Effect.map((detail): CheckResult => ({ check, ok: true, detail })),
    Effect.catchCause((cause) => {
      const reason = cause.reasons[0]
      const detail = reason !== undefined && "error" in reason ? ProcessExit.describe(reason.error) : String(cause)
      return Effect.succeed<CheckResult>({ check, ok: false, detail })
    })
  )

const fromEnv = (result: { readonly n: number } | { readonly error: string }): Effect.Effect<number, string> =>
  "error" in result ? Effect.fail(result.error) : Effect.succeed(result.n)

/** A `Config` read as an effect (inside the provider given below). */
const read = <A>(config: Config.Config<A>) => Effect.gen(function*() {
  return yield* config
})

/** The users in the users file, parsed as the auth plugin parses them. */
const users = Effect.gen(function*() {
  const settings = yield* AuthConfig.config
  const found: Array<string> = []
  for (const source of settings.sources) {
    if (source._tag !== "File") continue
    if (!Fs.existsSync(source.path)) {
      if (source.optional) {
        found.push(`no users file at ${source.path} (every AUTH will fail)`)
        continue
      }
      return yield* Effect.fail(`${source.path}: no such file (CARTERO_AUTH_USERS_FILE)`)
    }
    const parsed = Users.parseFile(Fs.readFileSync(source.path, "utf8"), source.path)
    if (Result.isFailure(parsed)) return yield* Effect.fail(parsed.failure.message)
    const db = Users.make(parsed.success)
    if (Result.isFailure(db)) return yield* Effect.fail(db.failure.message)
    found.push(`${db.success.size} user${db.success.size === 1 ? "" : "s"} in ${source.path}`)
  }
  return found.join("; ")
})

/** The queue store the settings select, and its settings (read as the stores read them), without opening it. */
const queue = Effect.gen(function*() {
  const choice = yield* AppQueue.choice
  yield* Setting.config("CARTERO_QUEUE_RETAIN", "a duration such as 1h", Setting.duration).pipe(Config.withDefault(Duration.zero))
  if (choice._tag === "Redis") {
    yield* Setting.config("CARTERO_QUEUE_SHARDS", "an integer 1-1024", Setting.int(1, 1024)).pipe(Config.withDefault(1))
    const raw = yield* Effect.sync(() => AppQueue.describe(choice))
    if (raw.includes("(unparsable url)")) return yield* Effect.fail("CARTERO_REDIS_URL: expected a URL such as redis://127.0.0.1:6379")
  }
  return AppQueue.describe(choice)
})

/** The inbound plugins built against stand-in services: their options and settings checked, nothing started. */
const plugins = (config: ConfigFile.Loaded["config"]) => {
  const list = config.plugins ?? Defaults.plugins
  const standIns = Layer.mergeAll(
    MailQueue.MailQueue.layer.pipe(Layer.provideMerge(MemoryQueueStore.MemoryQueueStore.layer())),
    Dns.Dns.layerTest({}),
    PolicyStore.PolicyStore.layerMemory(),
    AppConfig.layer
  )
  // Building the Maildir plugin creates its root: it builds on a scratch root instead (the configured root was
  // checked with the app's settings), so that checking writes nothing where the server keeps mail.
  const scratch = Effect.acquireRelease(
    Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "cartero-check-"))),
    (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
  )
  const build = Effect.gen(function*() {
    const root = yield* scratch
    const current = yield* ConfigProvider.ConfigProvider
    yield* Layer.build(Pipeline.Pipeline.layer(list)).pipe(
      Effect.provide(standIns),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.orElse(ConfigProvider.fromUnknown({ CARTERO_MAILDIR_ROOT: root }), current))
    )
  })
  return Effect.scoped(build).pipe(
    // The plugins' start-up logs ("auth ready") are the server's, not this command's output.
    Effect.provideService(References.MinimumLogLevel, "None"),
    Effect.as(list.map((p) => p.name).join(", "))
  )
}

const check = Command.make(
  "check",
  { json: Flag.Boolean("json").pipe(Flag.withDescription("Print JSON instead of text"), Flag.withDefault(false)) },
  Effect.fn("cli.config.check")(function*(o) {
    const loaded = yield* Effect.result(ConfigFile.load)
    const config = Result.isSuccess(loaded) ? loaded.success.config : {}
    const file = run("config file", Result.isSuccess(loaded)
      ? Effect.succeed(loaded.success.path ?? "none (defaults and the environment)")
      : Effect.fail(loaded.failure))
    const checks = yield* Effect.all([
      file,
      run("processes", fromEnv(Cluster.processes(process.env)).pipe(Effect.map((n) => `${n}`))),
      run("heap growth", fromEnv(HeapGrowth.percent(process.env)).pipe(Effect.map((n) => `${n}%`))),
      run("app settings", AppConfigModule.load.pipe(Effect.map((c) => `local domains ${c.localDomains.join(",")}; maildir ${c.maildirRoot}`))),
      run("SMTP server", ServerConfig.load.pipe(Effect.map((s) => `${s.listeners?.length ?? 0} listener${s.listeners?.length === 1 ? "" : "s"}`))),
      run("delivery", read(DeliveryConfig.config).pipe(Effect.map((d) => `${d.workers} workers`))),
      run("DNS", Effect.scoped(Layer.build(Dns.Dns.layerConfig)).pipe(Effect.as("ok"))),
      run("queue store", queue),
      run("policy store", read(PolicyStore.choice).pipe(Effect.map((c) => c._tag.toLowerCase()))),
      run("users", users),
      run("traces", Traces.load.pipe(Effect.map((t) => (t === undefined ? "off" : `OTLP to ${t.url} as ${t.serviceName}`)))),
      run("inbound plugins", plugins(config))
    ]).pipe(Effect.provide(AppConfig.layerProvider(config.settings ?? {})))
    const failed = checks.filter((c) => !c.ok).length
    const width = Math.max(...checks.map((c) => c.check.length))
    yield* Console.log(o.json
      ? JSON.stringify({ ok: failed === 0, checks }, null, 2)
      : checks.map((c) => `${c.ok ? "ok   " : "error"}  ${c.check.padEnd(width)}  ${c.detail}`).join("\n"))
    if (failed > 0) return yield* new CheckFailed({ failed })
  })
).pipe(Command.withDescription("Validate every setting and the config file without starting the server (exit 0: all ok)"))

/** `cartero config ...`. */
export const command = Command.make("config").pipe(
  Command.withDescription("Check the server's configuration"),
  Command.withSubcommands([check])
)
