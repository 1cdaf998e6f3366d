/**
 * Command-line parsing for `pnpm bench -- <scenario> [options]`.
 *
 * Hand-written rather than `effect/cli`: a dozen flags with plain validation do not need a framework, and the
 * parser stays a pure function that tests can call. A leading `--` is skipped, because `pnpm bench -- accept`
 * passes the `--` through to the script (checked with pnpm 12.4.2).
 *
 * @since 0.1.0
 */
import { Result } from "effect"

export const scenarios = ["accept", "e2e", "wire", "sink", "large", "mime", "queue", "help"] as const
export type Scenario = (typeof scenarios)[number]

/**
 * Cartero's durable queue stores (the app picks Redis when `CARTERO_REDIS_URL` is set, else SQLite). There is no
 * "memory" store: the app never answers 250 before a durable write, so a memory figure would measure a server
 * nobody can run.
 */
export const stores = ["sqlite", "redis"] as const
export type Store = (typeof stores)[number]

/**
 * What a spawned Cartero is for `accept` (src/Recipe.ts): `relay` (trusted client, recipients relayed: queued),
 * `bare-mx` (an inbound MX: untrusted client, local recipients stored in Maildir, the app's default plugins), `mx`
 * (`bare-mx` with the inbound MX recipe of docs/filtering.md, `apps/mta/recipes/inbound-mx.config.ts`).
 */
export const recipes = ["relay", "bare-mx", "mx"] as const
export type Recipe = (typeof recipes)[number]

/** An inbound MX recipe: untrusted client, local recipients, Maildir. */
export const isMx = (recipe: Recipe): boolean => recipe !== "relay"

export interface HostPort {
  readonly host: string
  readonly port: number
}

export interface Options {
  readonly scenario: Scenario
  /** External server under test; absent = spawn Cartero (accept, e2e). */
  readonly target: HostPort | undefined
  /** External server's pid to sample (its whole process tree). */
  readonly pid: number | undefined
  /** Name of the server in the table. */
  readonly label: string | undefined
  readonly concurrency: number
  /** Per connection: the run sends `concurrency × messages`. */
  readonly messages: number
  readonly size: number
  readonly pipelining: boolean
  /** `--pipelining full`: also pipeline the next envelope behind the end of DATA. */
  readonly pipelineAfterData: boolean
  readonly newConnection: boolean
  readonly store: Store
  /** What the spawned Cartero is (`accept`): `relay`, or an inbound MX, bare or filtering (src/Recipe.ts). */
  readonly recipe: Recipe
  readonly redisUrl: string | undefined
  /** Spawned Cartero: `CARTERO_DELIVERY_WORKERS` (undefined = accept 0, e2e the app's default). */
  readonly deliveryWorkers: number | undefined
  /** Spawned Cartero: `CARTERO_PROCESSES` (node:cluster workers sharing the listener and the queue). */
  readonly processes: number
  /** Idle/slow-sender memory runs: hold this many connections open (see `--hold`). */
  readonly hold: number
  /** `--slow-data S`: each held connection dribbles its DATA over S seconds (0 = idle after EHLO). */
  readonly slowDataSeconds: number
  readonly json: boolean
  readonly recipientsDomain: string
  /** Global deadline of one run (and of the e2e wait for arrivals), seconds. */
  readonly timeoutSeconds: number
  /** Bound on each read, seconds. */
  readonly readTimeoutSeconds: number
  readonly runs: number
  /** Messages (total) sent before the measured runs, to warm the server's JIT and caches. */
  readonly warmup: number
  /** e2e: port of the in-process sink (0 = any; give a fixed one when a peer is configured to relay to it). */
  readonly sinkPort: number
  /** sink: listen address and port. */
  readonly host: string
  readonly port: number
  /** sink: no progress lines. */
  readonly quiet: boolean
  /**
   * Spawned Cartero: serve the HTTP API (`CARTERO_HTTP_PORT`, a free loopback port) and scrape `/metrics` every
   * this many seconds during the measurement (src/MetricsScraper.ts); undefined = no HTTP API, no scrapes.
   */
  readonly scrapeMetricsSeconds: number | undefined
}

export const defaults: Omit<Options, "scenario"> = {
  target: undefined,
  pid: undefined,
  label: undefined,
  concurrency: 10,
  messages: 100,
  size: 4096,
  pipelining: true,
  pipelineAfterData: false,
  newConnection: false,
  store: "sqlite",
  recipe: "relay",
  redisUrl: undefined,
  deliveryWorkers: undefined,
  processes: 1,
  hold: 0,
  slowDataSeconds: 0,
  json: false,
  recipientsDomain: "bench.test",
  timeoutSeconds: 120,
  readTimeoutSeconds: 10,
  runs: 1,
  warmup: 0,
  sinkPort: 0,
  host: "127.0.0.1",
  port: 2526,
  quiet: false,
  scrapeMetricsSeconds: undefined
}

export const usage = `usage: pnpm bench -- <scenario> [options]

scenarios
  accept   send load to a server and time its 250s (Cartero is spawned unless --target)
  e2e      send load and count arrivals at the tool's own sink (the server must relay to it)
  wire     the tool's generator against the tool's sink (a child process): the loopback ceiling
  sink     run the counting sink standalone (--host, --port), for peers to deliver to
  large    --concurrency connections (default 50) each send one --size message (default 20 MiB) at once:
           the server's RSS idle and at its peak (spawned Cartero, or --target with --pid)
  mime     run the @cartero/mime package benchmark (pnpm --filter @cartero/mime bench)
  queue    run the queue stores benchmark (pnpm --filter @cartero/bench bench:queue)

options
  --target host:port     server under test (default: spawn Cartero from apps/mta)
  --pid N                sample RSS/CPU of this external server process and its children
  --label NAME           server name in the table (default cartero, sink, or external)
  --concurrency N        concurrent connections (default ${defaults.concurrency})
  --messages M           messages PER CONNECTION; a run sends N x M (default ${defaults.messages})
  --size BYTES           message size, headers included (default ${defaults.size})
  --pipelining MODE      on: MAIL/RCPT/DATA in one write when the server offers PIPELINING (default);
                         full: also the next MAIL/RCPT/DATA (or QUIT) behind the end of DATA; off: lock-step
  --new-connection       one connection per message (default: reuse a connection for all M)
  --store S              Cartero queue store: sqlite, redis (default ${defaults.store}); both durable
  --recipe R             accept, spawned Cartero: relay (default; trusted client, relayed, queued), bare-mx (inbound
                         MX, untrusted client, local recipients in Maildir, default plugins), mx (bare-mx with the
                         inbound MX recipe, apps/mta/recipes/inbound-mx.config.ts; DKIM-signed mail, FakeDns)
  --redis-url URL        for --store redis (default: $CARTERO_REDIS_URL; a unique key prefix per run, deleted after)
  --delivery-workers N   spawned Cartero's CARTERO_DELIVERY_WORKERS (default: accept 0, e2e the app's default)
  --processes N          spawned Cartero's CARTERO_PROCESSES: N cluster workers sharing the port and the queue
  --hold N               memory run: also hold N extra connections open (EHLO, then idle) during the run
  --slow-data S          with --hold: each held connection sends MAIL/RCPT/DATA and dribbles its body over S seconds
  --recipients-domain D  recipient domain (default ${defaults.recipientsDomain}; spawned Cartero accepts it)
  --runs K               repeat the measured run K times, one row each (default 1)
  --warmup N             send N messages before measuring (default 0)
  --timeout S            deadline of one run, and of the e2e wait, seconds (default ${defaults.timeoutSeconds})
  --read-timeout S       bound on every SMTP read, seconds (default ${defaults.readTimeoutSeconds})
  --sink-port P          e2e: port of the tool's sink (default 0 = any free port)
  --host H / --port P    sink: listen address (default ${defaults.host}:${defaults.port})
  --quiet                sink: no progress lines
  --json                 one JSON object per run on stdout instead of the table
  --scrape-metrics S     spawned Cartero: HTTP API on a free port, GET /metrics every S seconds while measuring
                         (the metrics overhead measurement, docs/benchmarks.md)
`

const isScenario = (s: string): s is Scenario => (scenarios as ReadonlyArray<string>).includes(s)
const isStore = (s: string): s is Store => (stores as ReadonlyArray<string>).includes(s)
const isRecipe = (s: string): s is Recipe => (recipes as ReadonlyArray<string>).includes(s)

const int = (flag: string, raw: string | undefined, min: number, max: number): Result.Result<number, string> => {
  if (raw === undefined) return Result.fail(`${flag} needs a value`)
  const n = Number(raw)
  return Number.isInteger(n) && n >= min && n <= max
    ? Result.succeed(n)
    : Result.fail(`${flag}: expected an integer ${min}-${max}, got ${JSON.stringify(raw)}`)
}

const seconds = (flag: string, raw: string | undefined): Result.Result<number, string> => {
  const n = Number(raw)
  return raw !== undefined && Number.isFinite(n) && n > 0 && n <= 86_400
    ? Result.succeed(n)
    : Result.fail(`${flag}: expected seconds (0-86400], got ${JSON.stringify(raw)}`)
}

/** Parses `host:port` or `[v6]:port`. */
export const parseHostPort = (raw: string): Result.Result<HostPort, string> => {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(raw)
  const host = m?.[1] ?? m?.[2]
  const port = Number(m?.[3])
  return host !== undefined && port > 0 && port < 65536
    ? Result.succeed({ host, port })
    : Result.fail(`--target: expected host:port, got ${JSON.stringify(raw)}`)
}

/** Parses argv (without `node` and the script). */
export const parse = (argv: ReadonlyArray<string>): Result.Result<Options, string> => {
  const args = argv[0] === "--" ? argv.slice(1) : [...argv]
  const first = args[0]
  if (first === undefined || first === "-h" || first === "--help") return Result.succeed({ ...defaults, scenario: "help" })
  if (!isScenario(first)) return Result.fail(`unknown scenario ${JSON.stringify(first)}`)
  let o: Options = { ...defaults, scenario: first }
  // Each iteration consumes one or two arguments: bounded by the argument count.
  for (let i = 1; i < args.length; i++) {
    const flag = args[i] ?? ""
    const value = args[i + 1]
    const take = <A>(r: Result.Result<A, string>, set: (a: A) => Options): string | undefined => {
      if (Result.isFailure(r)) return r.failure
      o = set(r.success)
      i++
      return undefined
    }
    let error: string | undefined
    switch (flag) {
      case "--":
        break
      case "--target":
        error = take(parseHostPort(value ?? ""), (target) => ({ ...o, target }))
        break
      case "--pid":
        error = take(int(flag, value, 1, 4_194_304), (pid) => ({ ...o, pid }))
        break
      case "--label":
        error = take(value === undefined ? Result.fail("--label needs a value") : Result.succeed(value), (label) => ({ ...o, label }))
        break
      case "--concurrency":
        error = take(int(flag, value, 1, 10_000), (concurrency) => ({ ...o, concurrency }))
        break
      case "--messages":
        error = take(int(flag, value, 1, 10_000_000), (messages) => ({ ...o, messages }))
        break
      case "--size":
        error = take(int(flag, value, 1, 100 * 1024 * 1024), (size) => ({ ...o, size }))
        break
      case "--pipelining":
        error = take(
          value === "on" || value === "off" || value === "full"
            ? Result.succeed(value)
            : Result.fail("--pipelining: expected on, off or full"),
          (mode) => ({ ...o, pipelining: mode !== "off", pipelineAfterData: mode === "full" })
        )
        break
      case "--no-pipelining":
        o = { ...o, pipelining: false, pipelineAfterData: false }
        break
      case "--new-connection":
        o = { ...o, newConnection: true }
        break
      case "--store":
        error = take(
          value === "memory"
            ? Result.fail("--store memory was removed: Cartero only answers 250 after a durable write (sqlite or redis)")
            : value !== undefined && isStore(value)
            ? Result.succeed(value)
            : Result.fail(`--store: expected one of ${stores.join(", ")}`),
          (store) => ({ ...o, store })
        )
        break
      case "--recipe":
        error = take(
          value !== undefined && isRecipe(value)
            ? Result.succeed(value)
            : Result.fail(`--recipe: expected one of ${recipes.join(", ")}`),
          (recipe) => ({ ...o, recipe })
        )
        break
      case "--redis-url":
        error = take(value === undefined ? Result.fail("--redis-url needs a value") : Result.succeed(value), (redisUrl) => ({ ...o, redisUrl }))
        break
      case "--delivery-workers":
        error = take(int(flag, value, 0, 10_000), (deliveryWorkers) => ({ ...o, deliveryWorkers }))
        break
      case "--processes":
        error = take(int(flag, value, 1, 64), (processes) => ({ ...o, processes }))
        break
      case "--hold":
        error = take(int(flag, value, 0, 20_000), (hold) => ({ ...o, hold }))
        break
      case "--slow-data":
        error = take(int(flag, value, 0, 3600), (slowDataSeconds) => ({ ...o, slowDataSeconds }))
        break
      case "--recipients-domain":
        error = take(
          value !== undefined && /^[a-z0-9.-]+$/i.test(value) ? Result.succeed(value) : Result.fail("--recipients-domain: expected a domain"),
          (recipientsDomain) => ({ ...o, recipientsDomain })
        )
        break
      case "--runs":
        error = take(int(flag, value, 1, 1000), (runs) => ({ ...o, runs }))
        break
      case "--warmup":
        error = take(int(flag, value, 0, 10_000_000), (warmup) => ({ ...o, warmup }))
        break
      case "--timeout":
        error = take(seconds(flag, value), (timeoutSeconds) => ({ ...o, timeoutSeconds }))
        break
      case "--read-timeout":
        error = take(seconds(flag, value), (readTimeoutSeconds) => ({ ...o, readTimeoutSeconds }))
        break
      case "--sink-port":
        error = take(int(flag, value, 0, 65535), (sinkPort) => ({ ...o, sinkPort }))
        break
      case "--host":
        error = take(value === undefined ? Result.fail("--host needs a value") : Result.succeed(value), (host) => ({ ...o, host }))
        break
      case "--port":
        error = take(int(flag, value, 0, 65535), (port) => ({ ...o, port }))
        break
      case "--quiet":
        o = { ...o, quiet: true }
        break
      case "--scrape-metrics":
        error = take(seconds(flag, value), (scrapeMetricsSeconds) => ({ ...o, scrapeMetricsSeconds }))
        break
      case "--json":
        o = { ...o, json: true }
        break
      case "-h":
      case "--help":
        o = { ...o, scenario: "help" }
        break
      default:
        error = `unknown option ${JSON.stringify(flag)}`
    }
    if (error !== undefined) return Result.fail(error)
  }
  if (isMx(o.recipe) && (o.scenario !== "accept" || o.target !== undefined)) {
    // e2e counts arrivals at the sink, but an MX stores its mail; an external server has its own configuration.
    return Result.fail(`--recipe ${o.recipe}: only for accept against a spawned Cartero (no --target)`)
  }
  if (o.scrapeMetricsSeconds !== undefined && (o.target !== undefined || (o.scenario !== "accept" && o.scenario !== "e2e"))) {
    return Result.fail("--scrape-metrics: only for accept or e2e against a spawned Cartero (no --target)")
  }
  return Result.succeed(o)
}
