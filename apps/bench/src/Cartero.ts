/**
 * How the benchmark starts Cartero (the reference app, `apps/mta`) as the server under test.
 *
 * Cartero is configured with `CARTERO_*` variables only (docs/configuration.md), so this module is one table of
 * variables: a throw-away data directory, a free loopback port, quiet logs (a log line per message would measure
 * the terminal), and the real path of a relayed message:
 *
 * - the queue store is the app's own rule: `CARTERO_REDIS_URL` set → Redis (with a unique `CARTERO_QUEUE_PREFIX`
 *   per spawn, whose keys are deleted when the run ends), unset → SQLite in the temp `CARTERO_DATA_DIR`;
 * - the recipients are in a domain that is **not** local and the load generator's network is trusted
 *   (`CARTERO_TRUSTED_NETWORKS=127.0.0.0/8`), so every message is relayed: queued durably before the `250`;
 * - every relayed message goes to the tool's sink: `CARTERO_SMARTHOST=127.0.0.1:<sinkport>`,
 *   `CARTERO_OUTBOUND_TLS=none`.
 *
 * `--recipe bare-mx` and `--recipe mx` (src/Recipe.ts) make it an inbound MX instead: no trusted network, the
 * recipients' domain local (stored in Maildir, no queue), the bench's FakeDns as `CARTERO_DNS_SERVERS`, and for
 * `mx` the recipe's config file (`CARTERO_CONFIG`, given to the build that compiles it in as well).
 *
 * `accept` and `e2e` run the same app and the same path; they differ in what is timed and in the delivery
 * workers: `accept` ("accept with durable queueing", nothing delivered, as issue 6 defines it and as Haraka's
 * discard peer does) times end of DATA → `250` with no delivery worker (`CARTERO_DELIVERY_WORKERS=0`, a
 * receive-only process: the queue grows during the run); `e2e` runs the app's default worker count and times
 * arrival at the sink. `--delivery-workers N` puts N workers back into an accept run (delivery competing with the
 * listener for the CPU, as on a single-process MTA whose queue is draining).
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, rmSync } from "node:fs"
import * as os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, type Scope } from "effect"
import { type HostPort, isMx, type Recipe as RecipeName, type Store } from "./Cli.ts"
import * as Recipe from "./Recipe.ts"
import * as RedisKeys from "./RedisKeys.ts"
import * as ServerProcess from "./ServerProcess.ts"

/**
 * The app's entry point: by default the compiled app as `pnpm start` runs it (`apps/mta/dist/main.mjs`, built by
 * {@link build} before the spawn). `BENCH_CARTERO_MAIN` points elsewhere: another checkout's entry point, to compare
 * two versions of the app with the same tool in one interleaved session (before/after a change), or a `.ts` entry
 * point (e.g. `apps/mta/src/main.ts`), which runs with tsx as `pnpm dev` does. `.mjs`/`.js` run with
 * `node --enable-source-maps` and are used as they are (build them first).
 */
const defaultMain = fileURLToPath(new URL("../../mta/dist/main.mjs", import.meta.url))
export const mainPath = process.env["BENCH_CARTERO_MAIN"] || defaultMain
const appDir = Path.dirname(Path.dirname(mainPath))

/**
 * Builds `apps/mta/dist/` (the app's own build script, bounded) when the default entry point is used, with the
 * `CARTERO_CONFIG` the app will run with: the bundle holds the config it was built with and refuses any other.
 */
const build = (config: string): Effect.Effect<void, ServerProcess.ServerError> =>
  mainPath !== defaultMain
    ? Effect.void
    : Effect.suspend(() => {
      const script = Path.join(appDir, "scripts", "build.mjs")
      const result = spawnSync(process.execPath, [script], {
        cwd: appDir,
        env: { ...process.env, CARTERO_CONFIG: config },
        encoding: "utf8",
        timeout: 120_000
      })
      return result.status === 0
        ? Effect.void
        : Effect.fail(
          new ServerProcess.ServerError({
            message: `building the app (${script}) failed: ${result.error?.message ?? result.stderr.trim()}`
          })
        )
    })

export interface Options {
  readonly scenario: "accept" | "e2e"
  readonly store: Store
  readonly redisUrl: string | undefined
  readonly recipientsDomain: string
  readonly size: number
  /** `relay` (absent: relay), or an inbound MX (src/Recipe.ts). */
  readonly recipe?: RecipeName | undefined
  /** `CARTERO_DNS_SERVERS` (the MX recipes' FakeDns); absent: the app's default. */
  readonly dnsServers?: string | undefined
  /** Where every relayed message goes (the tool's sink). */
  readonly relayTo: HostPort
  /** `CARTERO_DELIVERY_WORKERS`; undefined = 0 for accept (receive only), the app's default for e2e. */
  readonly deliveryWorkers: number | undefined
  /** `CARTERO_PROCESSES`: cluster workers sharing the listener and the queue. */
  readonly processes: number
  /** Redis key prefix for this spawn (unique; see `spawn`). */
  readonly queuePrefix: string
  /** `CARTERO_HTTP_PORT` (on 127.0.0.1): serve the HTTP API and `/metrics`; absent: no HTTP API. */
  readonly httpPort?: number | undefined
}

/** The environment for one Cartero process. Exposed so the README and tests can show it. */
export const environment = (options: Options, port: number, dataDir: string): Record<string, string> => {
  const recipe = options.recipe ?? "relay"
  const env: Record<string, string> = {
    CARTERO_SMTP_HOST: "127.0.0.1",
    CARTERO_SMTP_PORT: String(port),
    CARTERO_DATA_DIR: dataDir,
    CARTERO_HOSTNAME: "cartero.bench.invalid",
    CARTERO_LOG_LEVEL: "warn",
    CARTERO_MAX_MESSAGE_SIZE: String(Math.max(options.size * 2, 1024 * 1024)),
    CARTERO_SHUTDOWN_TIMEOUT: "2s",
    CARTERO_CONFIG: Recipe.configSetting(recipe),
    ...(isMx(recipe)
      ? {
        // An inbound MX: the client is a stranger (no trusted network: empty counts as unset), the recipients are
        // ours, stored in Maildir.
        CARTERO_LOCAL_DOMAINS: options.recipientsDomain,
        CARTERO_TRUSTED_NETWORKS: ""
      }
      : {
        // The recipients' domain is remote: relayed (trusted loopback), queued, delivered to the sink.
        CARTERO_LOCAL_DOMAINS: "localhost",
        CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8"
      }),
    CARTERO_SMARTHOST: `${options.relayTo.host}:${options.relayTo.port}`,
    CARTERO_OUTBOUND_TLS: "none",
    CARTERO_OUTBOUND_ADDRESS_PREFERENCE: "ipv4",
    // Redis selected by the URL alone (the app's rule); empty = SQLite under the data directory.
    CARTERO_REDIS_URL: options.store === "redis" ? (options.redisUrl ?? "") : "",
    CARTERO_QUEUE_PREFIX: options.queuePrefix,
    // Policy plugins' counters and records (rate limits, greylisting) follow the queue to Redis: under the spawn's
    // prefix too, so they are deleted with its keys.
    CARTERO_POLICY_PREFIX: `${options.queuePrefix}policy:`,
    CARTERO_PROCESSES: String(options.processes),
    // The load generator is one client (127.0.0.1) with up to `--concurrency` + `--hold` connections, and with
    // `--new-connection` hundreds of new ones per second: the per-client limits an MX needs against abuse (50 at
    // once, 60 per minute) would refuse the benchmark itself. Raised to their maximum, so the run measures the
    // server, not its limits; the limits' own cost (counting) is still paid.
    CARTERO_MAX_CLIENTS: "1000000",
    CARTERO_MAX_CLIENTS_PER_IP: "1000000",
    CARTERO_CONNECTION_RATE_LIMIT: "1000000"
  }
  if (options.dnsServers !== undefined) env["CARTERO_DNS_SERVERS"] = options.dnsServers
  if (options.httpPort !== undefined) {
    env["CARTERO_HTTP_HOST"] = "127.0.0.1"
    env["CARTERO_HTTP_PORT"] = String(options.httpPort)
  }
  if (recipe === "mx") Object.assign(env, Recipe.mxSettings)
  const workers = options.deliveryWorkers ?? (options.scenario === "accept" ? 0 : undefined)
  if (workers !== undefined) env["CARTERO_DELIVERY_WORKERS"] = String(workers)
  return env
}

/** A running Cartero: where it listens and its pid (the cluster primary when `processes` > 1). */
export interface Running {
  readonly target: HostPort
  readonly pid: number
  /** A description for the table's store column: `sqlite`, `redis`, `maildir` (the MX recipes store locally). */
  readonly store: string
}

/** Spawns Cartero for `options`; stops it, removes its data directory and its Redis keys when the scope closes. */
export const spawn = (
  options: Omit<Options, "queuePrefix">
): Effect.Effect<Running, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    yield* build(Recipe.configSetting(options.recipe ?? "relay"))
    if (!existsSync(mainPath)) {
      return yield* new ServerProcess.ServerError({
        message: `${mainPath} does not exist: the reference app is not runnable here. ` +
          "Measure an external server with --target host:port (and --pid to sample it)."
      })
    }
    const redisUrl = options.redisUrl
    if (options.store === "redis" && redisUrl === undefined) {
      return yield* new ServerProcess.ServerError({ message: "--store redis needs --redis-url or CARTERO_REDIS_URL" })
    }
    const queuePrefix = `cartero-bench-${randomBytes(6).toString("hex")}:`
    if (options.store === "redis" && redisUrl !== undefined) {
      // Registered before the spawn: released after the app stopped (scopes close in reverse order).
      yield* Effect.addFinalizer(() =>
        Effect.promise(() =>
          RedisKeys.deletePrefix(redisUrl, queuePrefix).then(
            (n) => process.stderr.write(`# redis: deleted ${n} keys under ${queuePrefix}\n`),
            (e: unknown) => process.stderr.write(`# redis: could not delete keys under ${queuePrefix}: ${String(e)}\n`)
          )
        )
      )
    }
    const dataDir = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(Path.join(os.tmpdir(), "cartero-bench-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    )
    const port = yield* ServerProcess.freePort()
    const { command, args } = ServerProcess.command(mainPath, [])
    const running = yield* ServerProcess.spawn({
      name: "cartero",
      command,
      args,
      cwd: appDir,
      env: environment({ ...options, queuePrefix }, port, dataDir),
      readiness: { _tag: "Greets", host: "127.0.0.1", port },
      startTimeoutMs: 60_000
    })
    return { target: { host: "127.0.0.1", port }, pid: running.pid, store: isMx(options.recipe ?? "relay") ? "maildir" : options.store }
  })
