/**
 * The reference app (`apps/mta`) as the system under test: built once per run, spawned with a `CARTERO_*` environment,
 * killed with SIGKILL by pid, and asked about its queue through its own operator command (`cartero queue stats`).
 *
 * The app runs exactly as `pnpm start` runs it — the bundle `apps/mta/dist/main.mjs` under node with the start
 * script's flags — because faults are about the real process: its exit code, what it prints, what it leaves in the
 * store. Spawning, readiness (the SMTP greeting) and stopping at the end (SIGTERM, then SIGKILL) are the
 * benchmark's `ServerProcess`; the environment starts from the benchmark's `Cartero.environment` (a relay to a
 * sink, quiet logs, trusted loopback) with the scenario's overrides on top.
 *
 * @since 0.1.0
 */
import { execFile, spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, rmdirSync, rmSync } from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { Cartero, ServerProcess } from "@cartero/bench"
import { Effect, type Scope } from "effect"
import { FaultsError } from "./FaultsError.ts"
import * as Pid from "./Pid.ts"

export const appDir = fileURLToPath(new URL("../../mta/", import.meta.url))

/** The app built for one run: its entry points. */
export interface Bundle {
  readonly main: string
  readonly cli: string
}

/**
 * Builds the app with its own build script (bounded, 2 minutes) into a directory of this run's own under
 * `apps/mta/.faults/` (it must stay under apps/mta, where the app's native dependencies resolve), so that a run
 * never races a `pnpm start`, a test or another run over `apps/mta/dist/`. No config file (`CARTERO_CONFIG=none`).
 * Removed when the scope closes.
 */
export const bundle: Effect.Effect<Bundle, FaultsError, Scope.Scope> = Effect.gen(function*() {
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => {
      mkdirSync(Path.join(appDir, ".faults"), { recursive: true })
      return mkdtempSync(Path.join(appDir, ".faults", `${process.pid}-`))
    }),
    (d) => Effect.sync(() => {
      rmSync(d, { recursive: true, force: true })
      try {
        rmdirSync(Path.dirname(d)) // `.faults/` itself, once no run uses it
      } catch {
        // Another run's directory is still there.
      }
    })
  )
  const outdir = Path.join(dir, "dist")
  const script = Path.join(appDir, "scripts", "build.mjs")
  const result = spawnSync(process.execPath, [script, "--outdir", Path.relative(appDir, outdir)], {
    cwd: appDir,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, CARTERO_CONFIG: "none" }
  })
  if (result.status !== 0) {
    return yield* new FaultsError({ message: `building the app (${script}) failed: ${result.error?.message ?? result.stderr.trim()}` })
  }
  return { main: Path.join(outdir, "main.mjs"), cli: Path.join(outdir, "cli.mjs") }
})

/** Which queue store a scenario's app uses. `maildir` = local recipients, stored in Maildirs (the queue is idle). */
export type Store = "sqlite" | "redis"

/** What a scenario chooses about its app. */
export interface World {
  readonly port: number
  readonly dataDir: string
  readonly store: Store
  /** The private Redis (for `store: "redis"`). */
  readonly redisUrl?: string
  /** Where relayed mail goes (the scenario's sink); absent: MX routing through `CARTERO_DNS_SERVERS`. */
  readonly relayTo?: { readonly host: string; readonly port: number }
  /** `CARTERO_DELIVERY_WORKERS`; absent: the app's default (50). */
  readonly workers?: number
  /** Any other `CARTERO_*` variable (the retry schedule, DNS servers…). */
  readonly extra?: Readonly<Record<string, string>>
}

/** The queue prefix of every scenario: the Redis is private, so one fixed prefix is safe. */
const queuePrefix = "cartero-faults:"

/** The full environment of one app process. */
export const environment = (world: World): Record<string, string> => {
  const base = Cartero.environment(
    {
      scenario: "e2e",
      store: world.store,
      redisUrl: world.redisUrl,
      recipientsDomain: "faults.test",
      size: 4096,
      relayTo: world.relayTo ?? { host: "127.0.0.1", port: 1 },
      deliveryWorkers: world.workers,
      processes: 1,
      queuePrefix
    },
    world.port,
    world.dataDir
  )
  return {
    ...base,
    CARTERO_CONFIG: "none",
    CARTERO_HOSTNAME: "cartero.faults.invalid",
    // The production default: the delivery attempts and warnings are what the report quotes (AppLog).
    CARTERO_LOG_LEVEL: "info",
    // MX routing when no relay is given: an empty value counts as unset (docs/configuration.md).
    CARTERO_SMARTHOST: world.relayTo === undefined ? "" : `${world.relayTo.host}:${world.relayTo.port}`,
    ...world.extra
  }
}

/** A running app process. */
export interface App {
  readonly pid: number
  readonly env: Readonly<Record<string, string>>
  readonly bundle: Bundle
  /** The last lines it printed. */
  readonly logTail: () => string
}

/** Spawns the app and waits for its SMTP greeting; stopped (SIGTERM, then SIGKILL) when the scope closes. */
export const spawn = (bundle: Bundle, world: World, name = "cartero"): Effect.Effect<App, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const env = environment(world)
    const running = yield* ServerProcess.spawn({
      name,
      command: process.execPath,
      // The node flags of `pnpm start` (read from apps/mta/package.json), then this run's bundle.
      args: [...ServerProcess.startFlags(Path.join(appDir, "dist", "main.mjs")), bundle.main],
      cwd: appDir,
      env,
      readiness: { _tag: "Greets", host: "127.0.0.1", port: world.port },
      startTimeoutMs: 30_000,
      stopTimeoutMs: 5_000
    })
    return { pid: running.pid, env, bundle, logTail: running.logTail }
  })

/** Whether the process still runs. */
export const alive = (app: App): boolean => Pid.isAlive(app.pid)

/** Sends `sig` to the app's pid and waits (bounded, 10 s) until it is gone; true when it is. */
export const signal = (app: App, sig: "SIGKILL" | "SIGTERM"): Effect.Effect<boolean> =>
  Effect.suspend(() => {
    if (Pid.isAlive(app.pid)) process.kill(app.pid, sig)
    return Pid.waitGone(app.pid)
  })

/** `cartero queue stats --json`: messages and recipients per state. */
export interface QueueStats {
  readonly messages: number
  readonly recipients: Readonly<Record<string, number>>
}

/** Runs `cartero queue <args>` with the app's bundle and environment (bounded, 30 s); undefined when it fails. */
const cli = (app: App, args: ReadonlyArray<string>): Effect.Effect<unknown> =>
  Effect.callback<unknown>((resume) => {
    const child = execFile(
      process.execPath,
      ["--enable-source-maps", app.bundle.cli, "queue", ...args, "--json"],
      { cwd: appDir, env: { ...process.env, ...app.env }, timeout: 30_000, encoding: "utf8" },
      (error, stdout) => {
        if (error !== null) return resume(Effect.succeed(undefined))
        try {
          resume(Effect.succeed(JSON.parse(stdout)))
        } catch {
          resume(Effect.succeed(undefined))
        }
      }
    )
    return Effect.sync(() => {
      if (child.exitCode === null) child.kill("SIGKILL")
    })
  })

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The queue's statistics, or undefined when the store cannot be read right now. */
export const queueStats = (app: App): Effect.Effect<QueueStats | undefined> =>
  Effect.map(cli(app, ["stats"]), (json) => {
    if (!isRecord(json) || typeof json["messages"] !== "number" || !isRecord(json["recipients"])) return undefined
    const recipients: Record<string, number> = {}
    for (const [state, n] of Object.entries(json["recipients"])) if (typeof n === "number") recipients[state] = n
    return { messages: json["messages"], recipients }
  })
