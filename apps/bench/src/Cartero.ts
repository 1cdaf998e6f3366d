/**
 * How the benchmark starts Cartero (the reference app, `apps/mta`) as the server under test.
 *
 * Cartero is configured with `CARTERO_*` variables only (docs/configuration.md), so this module is one table of
 * variables per scenario: a throw-away data directory, a free loopback port, quiet logs (a log line per message
 * would measure the terminal), and for `accept` the recipients' domain as a local domain, for `e2e` relaying to
 * the tool's sink.
 *
 * Variables the app does not read yet are marked *pending* below; they are passed anyway so that the scenario
 * works as soon as the app reads them, and the run says so on stderr.
 *
 * @since 0.1.0
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, type Scope } from "effect"
import type { HostPort, Store } from "./Cli.ts"
import * as ServerProcess from "./ServerProcess.ts"

/** The app's entry point. */
export const mainPath = fileURLToPath(new URL("../../mta/src/main.ts", import.meta.url))
const appDir = Path.dirname(Path.dirname(mainPath))

/** Variables the benchmark needs that the app may not read yet: queue store selection, relaying to one host. */
export const wantedVariables = ["CARTERO_QUEUE_STORE", "CARTERO_RELAY_HOST"] as const

const configurationDoc = fileURLToPath(new URL("../../../docs/configuration.md", import.meta.url))

/**
 * The wanted variables that docs/configuration.md (the app's contract) does not mention yet. Read at run time, so
 * the tool notices the day the app learns them without a change here.
 */
export const pendingVariables = (): ReadonlyArray<string> => {
  let doc = ""
  try {
    doc = readFileSync(configurationDoc, "utf8")
  } catch {
    // No document: treat everything as pending.
  }
  return wantedVariables.filter((v) => !doc.includes(v))
}

export interface Options {
  readonly scenario: "accept" | "e2e"
  readonly store: Store
  readonly redisUrl: string | undefined
  readonly recipientsDomain: string
  readonly size: number
  /** e2e: where to relay every message (the tool's sink). */
  readonly relayTo: HostPort | undefined
}

/** The environment for one Cartero process. Exposed so the README and tests can show it. */
export const environment = (options: Options, port: number, dataDir: string): Record<string, string> => {
  const env: Record<string, string> = {
    CARTERO_SMTP_HOST: "127.0.0.1",
    CARTERO_SMTP_PORT: String(port),
    CARTERO_DATA_DIR: dataDir,
    CARTERO_HOSTNAME: "cartero.bench.invalid",
    CARTERO_LOG_LEVEL: "warn",
    CARTERO_MAX_MESSAGE_SIZE: String(Math.max(options.size * 2, 1024 * 1024)),
    CARTERO_SHUTDOWN_TIMEOUT: "2s",
    CARTERO_QUEUE_STORE: options.store
  }
  if (options.redisUrl !== undefined) env["CARTERO_REDIS_URL"] = options.redisUrl
  if (options.scenario === "accept") {
    env["CARTERO_LOCAL_DOMAINS"] = options.recipientsDomain
  } else {
    // The recipients are remote: Cartero must relay them (loopback trusted) to the sink.
    env["CARTERO_LOCAL_DOMAINS"] = "localhost"
    env["CARTERO_TRUSTED_NETWORKS"] = "127.0.0.0/8"
    if (options.relayTo !== undefined) env["CARTERO_RELAY_HOST"] = `[${options.relayTo.host}]:${options.relayTo.port}`
  }
  return env
}

/** A running Cartero: where it listens and its pid. */
export interface Running {
  readonly target: HostPort
  readonly pid: number
}

/** Spawns Cartero for `options`; stops it and removes its data directory when the scope closes. */
export const spawn = (options: Options): Effect.Effect<Running, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    if (!existsSync(mainPath)) {
      return yield* new ServerProcess.ServerError({
        message: `${mainPath} does not exist: the reference app is not runnable here. ` +
          "Measure an external server with --target host:port (and --pid to sample it)."
      })
    }
    if (options.scenario === "e2e" && pendingVariables().includes("CARTERO_RELAY_HOST")) {
      return yield* new ServerProcess.ServerError({
        message: "e2e against Cartero needs it to relay every message to the tool's sink, and docs/configuration.md " +
          "has no CARTERO_RELAY_HOST (or equivalent) yet. Until it does, run e2e against a peer with --target and " +
          "--sink-port (docs/benchmarks.md), or adjust Cartero.environment in apps/bench/src/Cartero.ts."
      })
    }
    if (options.store === "redis" && options.redisUrl === undefined) {
      return yield* new ServerProcess.ServerError({ message: "--store redis needs --redis-url or CARTERO_REDIS_URL" })
    }
    const dataDir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(Path.join(os.tmpdir(), "cartero-bench-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const port = yield* ServerProcess.freePort()
    const { command, args } = ServerProcess.tsxCommand(mainPath, [])
    const running = yield* ServerProcess.spawn({
      name: "cartero",
      command,
      args,
      cwd: appDir,
      env: environment(options, port, dataDir),
      readiness: { _tag: "Greets", host: "127.0.0.1", port },
      startTimeoutMs: 60_000
    })
    return { target: { host: "127.0.0.1", port }, pid: running.pid }
  })
