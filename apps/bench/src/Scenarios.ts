/**
 * The scenarios: what to start, what to measure, what to print.
 *
 * Each scenario is an Effect whose scope owns everything it starts (the server under test, the sink, data
 * directories), so any ending, including Ctrl-C, stops them. The measuring itself runs in the plain-Promise
 * generator and sink; see {@link LoadGenerator} for why.
 *
 * - `accept`: load against a server (spawned Cartero, or `--target`), timing each end-of-DATA reply.
 * - `e2e`: the same, with the server relaying to the tool's sink; the run ends when every accepted message
 *   arrived (or at the deadline) and end-to-end latency is measured at the sink.
 * - `wire`: the generator against the tool's own sink in a child process: the ceiling of this machine's loopback
 *   and of the tool itself, the number any server's figure should be read against.
 * - `sink`: the counting sink alone, for peers to deliver to.
 * - `large`: many large messages at once against a spawned Cartero (or `--target` with `--pid`): peak memory.
 * - `mime`, `queue`: the package benchmarks, run as child processes.
 *
 * @since 0.1.0
 */
import { spawn as spawnChild } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Effect, type Scope } from "effect"
import * as BenchMessage from "./BenchMessage.ts"
import * as Cartero from "./Cartero.ts"
import { defaults, type HostPort, isMx, type Options } from "./Cli.ts"
import { CountingSink } from "./CountingSink.ts"
import * as Holders from "./Holders.ts"
import * as LargeMessages from "./LargeMessages.ts"
import * as LoadGenerator from "./LoadGenerator.ts"
import * as MetricsScraper from "./MetricsScraper.ts"
import * as ProcessSampler from "./ProcessSampler.ts"
import * as Recipe from "./Recipe.ts"
import * as ServerProcess from "./ServerProcess.ts"
import * as Stats from "./Stats.ts"

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))
const benchMain = fileURLToPath(new URL("./main.ts", import.meta.url))

const note = (text: string): void => {
  process.stderr.write(`# ${text}\n`)
}

/** The server a run measures. */
interface UnderTest {
  readonly target: HostPort
  readonly label: string
  readonly store: string
  readonly pid: number | undefined
  /** Sample descendants too (external servers such as Postfix are process trees). */
  readonly followChildren: boolean
  /** The spawned Cartero's `/metrics` (with `--scrape-metrics`). */
  readonly metricsUrl?: string | undefined
  /** The MX recipes' DNS and DKIM signer (src/Recipe.ts); absent for the relay and external servers. */
  readonly world?: Recipe.World
}

const sender = "bench@client.bench.invalid"

const generatorOptions = (o: Options, server: UnderTest, signal: AbortSignal): LoadGenerator.Options => ({
  host: server.target.host,
  port: server.target.port,
  concurrency: o.concurrency,
  messagesPerConnection: o.messages,
  size: o.size,
  pipelining: o.pipelining,
  pipelineAfterData: o.pipelineAfterData,
  newConnectionPerMessage: o.newConnection,
  to: `rcpt@${o.recipientsDomain}`,
  readTimeoutMs: o.readTimeoutSeconds * 1000,
  deadlineMs: o.timeoutSeconds * 1000,
  signal,
  ...(server.world === undefined
    ? { from: sender }
    : { from: Recipe.sender, ehlo: Recipe.helo, sign: server.world.sign })
})

const describeRun = (o: Options, server: UnderTest): string =>
  `${o.scenario} against ${server.target.host}:${server.target.port} (${server.label}` +
  `${server.store === "-" ? "" : `, store ${server.store}`}): ${o.concurrency} connections x ${o.messages} ` +
  `messages each = ${o.concurrency * o.messages} per run, ${o.size} bytes, pipelining ${o.pipelineAfterData ? "full" : o.pipelining ? "on" : "off"}, ` +
  `${o.newConnection ? "new connection per message" : "connections reused"}`

/** Runs `o.runs` measured runs (after the warm-up) and prints a row for each. */
const measure = (
  o: Options,
  server: UnderTest,
  sink: CountingSink | undefined
): Effect.Effect<void, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    if (o.warmup > 0) {
      const concurrency = Math.min(o.concurrency, o.warmup)
      const messages = Math.ceil(o.warmup / concurrency)
      const warm = yield* Effect.promise((signal) =>
        LoadGenerator.run({ ...generatorOptions(o, server, signal), concurrency, messagesPerConnection: messages }))
      note(`warm-up: ${warm.accepted} of ${warm.planned} accepted in ${(warm.elapsedMs / 1000).toFixed(2)} s`)
      if (sink !== undefined) yield* Effect.promise(() => sink.waitFor(warm.runId, warm.accepted, o.timeoutSeconds * 1000))
    }
    if (o.hold > 0) {
      const holding = yield* Effect.acquireRelease(
        Effect.promise(() =>
          Holders.start({
            host: server.target.host,
            port: server.target.port,
            count: o.hold,
            slowDataSeconds: o.slowDataSeconds,
            readTimeoutMs: o.readTimeoutSeconds * 1000,
            to: `rcpt@${o.recipientsDomain}`
          })
        ),
        (h) => Effect.sync(() => h.close())
      )
      note(`holding ${holding.established} connections (${holding.failed} failed), ${
        o.slowDataSeconds > 0 ? `each dribbling its DATA over ${o.slowDataSeconds} s` : "idle after EHLO"
      }`)
    }
    // Scrapes during the measured runs only (not the warm-up), stopped and summarised when the measurement ends.
    const metricsUrl = server.metricsUrl
    const seconds = o.scrapeMetricsSeconds
    if (metricsUrl !== undefined && seconds !== undefined) {
      yield* Effect.acquireRelease(
        Effect.sync(() => MetricsScraper.start(metricsUrl, seconds * 1000)),
        (scraper) => Effect.sync(() => note(MetricsScraper.describe(scraper.stop(), seconds)))
      )
      note(`scraping ${metricsUrl} every ${seconds} s`)
    }
    if (o.json) note(describeRun(o, server))
    else {
      process.stdout.write(`# ${describeRun(o, server)}\n`)
      process.stdout.write(`${Stats.header()}\n`)
    }
    for (let k = 0; k < o.runs; k++) {
      const row = yield* Effect.promise((signal) => oneRun(o, server, sink, signal))
      process.stdout.write(`${o.json ? Stats.toJson(row) : Stats.formatRow(row)}\n`)
      // A run where nothing got through measured nothing: make scripts notice (exit code 1).
      if (row.errors === row.messages) {
        return yield* new ServerProcess.ServerError({ message: `run ${k + 1}: no message got through (see the errors above)` })
      }
    }
  })

const oneRun = async (o: Options, server: UnderTest, sink: CountingSink | undefined, signal: AbortSignal): Promise<Stats.Row> => {
  const sampler = server.pid === undefined ? undefined : ProcessSampler.start(server.pid, { followChildren: server.followChildren })
  const runId = BenchMessage.makeRunId()
  const startMicros = BenchMessage.nowMicros()
  const result = await LoadGenerator.run({ ...generatorOptions(o, server, signal), runId })
  let arrivals: ReturnType<CountingSink["arrivals"]> | undefined
  if (sink !== undefined) {
    const left = Math.max(1000, o.timeoutSeconds * 1000 - result.elapsedMs)
    const all = await sink.waitFor(runId, result.accepted, left)
    arrivals = sink.arrivals(runId)
    if (!all) note(`e2e: only ${arrivals.unique} of ${result.accepted} accepted messages arrived at the sink within the deadline`)
    if (arrivals.duplicates > 0) note(`e2e: ${arrivals.duplicates} duplicate deliveries (counted once)`)
  }
  const usage = sampler?.stop()
  if (server.world !== undefined) {
    // After the first lookups the app's cache answers: a count that grows from run to run means it does not.
    // (Concurrent first lookups of one name are not merged by the cache: each connection asks once at the start.)
    const log = await server.world.queryLog()
    const counts = new Map<string, number>()
    for (const q of log) counts.set(q, (counts.get(q) ?? 0) + 1)
    const list = [...counts].map(([q, n]) => n === 1 ? q : `${q} x${n}`).join(", ")
    note(`dns: ${log.length} queries answered by FakeDns since the start${log.length === 0 ? "" : ` (${list})`}`)
  }

  for (const sample of result.errorSamples) note(`error: ${sample}`)
  const kinds = Object.entries(result.errors).map(([k, n]) => `${k} x${n}`)
  if (kinds.length > 0) note(`errors by kind: ${kinds.join(", ")}`)
  if (!result.pipeliningHonoured) note("the server did not advertise PIPELINING: lock-step was used")
  if (result.deadlineHit) note(`deadline of ${o.timeoutSeconds} s reached: raise --timeout or lower the load`)

  const accept = Stats.summarize(result.acceptLatenciesMs)
  const e2e = arrivals === undefined ? undefined : Stats.summarize(arrivals.latenciesMs)
  const count = arrivals === undefined ? result.accepted : arrivals.unique
  const seconds = arrivals === undefined || arrivals.unique === 0
    ? result.elapsedMs / 1000
    : (arrivals.lastArrivalMicros - startMicros) / 1e6
  return {
    scenario: o.scenario,
    server: server.label,
    store: server.store,
    concurrency: o.concurrency,
    messages: result.planned,
    errors: result.planned - count,
    seconds,
    msgsPerSec: seconds > 0 ? count / seconds : 0,
    acceptP50Ms: Stats.orNull(accept.p50),
    acceptP90Ms: Stats.orNull(accept.p90),
    acceptP99Ms: Stats.orNull(accept.p99),
    e2eP50Ms: Stats.orNull(e2e?.p50),
    e2eP99Ms: Stats.orNull(e2e?.p99),
    peakRssMiB: usage === undefined ? null : usage.peakRssBytes / (1024 * 1024),
    cpuMsPerMsg: usage === undefined || count === 0 ? null : usage.cpuMs / count,
    size: o.size,
    pipelining: o.pipelineAfterData ? "full" : o.pipelining ? "on" : "off",
    newConnection: o.newConnection,
    messagesPerConnection: o.messages
  }
}

/** The server under test: `--target` (external, sampled with `--pid`) or a spawned Cartero. */
const underTest = (
  o: Options,
  relayTo: HostPort | undefined
): Effect.Effect<UnderTest, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    if (o.target !== undefined) {
      if (o.pid !== undefined && !ProcessSampler.exists(o.pid)) {
        return yield* new ServerProcess.ServerError({ message: `--pid ${o.pid}: no such process` })
      }
      return { target: o.target, label: o.label ?? "external", store: "-", pid: o.pid, followChildren: true }
    }
    if (relayTo === undefined) {
      return yield* new ServerProcess.ServerError({ message: "a spawned Cartero relays to the tool's sink: start it first" })
    }
    const scenario = o.scenario === "e2e" ? "e2e" : "accept"
    const world = isMx(o.recipe)
      ? yield* Recipe.start.pipe(
        Effect.mapError((e) => new ServerProcess.ServerError({ message: e.message }))
      )
      : undefined
    if (world !== undefined) note(`recipe ${o.recipe}: FakeDns on ${world.nameserver}, mail from ${Recipe.sender}, DKIM-signed`)
    const redisUrl = o.redisUrl ?? process.env["CARTERO_REDIS_URL"]
    const httpPort = o.scrapeMetricsSeconds === undefined ? undefined : yield* ServerProcess.freePort()
    const running = yield* Cartero.spawn({
      httpPort,
      scenario,
      store: o.store,
      redisUrl: redisUrl === "" ? undefined : redisUrl,
      recipientsDomain: o.recipientsDomain,
      size: o.size,
      relayTo,
      recipe: o.recipe,
      dnsServers: world?.nameserver,
      deliveryWorkers: o.deliveryWorkers,
      processes: o.processes
    })
    note(`cartero started (pid ${running.pid}${o.processes > 1 ? `, ${o.processes} processes` : ""}) on ${running.target.host}:${running.target.port}, store ${running.store}`)
    // A cluster is a process tree: sample the primary and its workers (summed PSS).
    const label = o.label ?? (o.recipe === "relay" ? "cartero" : o.recipe)
    const common = {
      target: running.target,
      label,
      store: running.store,
      pid: running.pid,
      followChildren: o.processes > 1,
      metricsUrl: httpPort === undefined ? undefined : `http://127.0.0.1:${httpPort}/metrics`
    }
    return world === undefined ? common : { ...common, world }
  })

const startSink = (host: string, port: number): Effect.Effect<CountingSink, ServerProcess.ServerError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => CountingSink.start({ host, port }),
      catch: (e) => new ServerProcess.ServerError({ message: `sink: cannot listen on ${host}:${port}: ${String(e)}` })
    }),
    (sink) => Effect.promise(() => sink.close())
  )

export const accept = (o: Options): Effect.Effect<void, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    // A spawned Cartero queues every message durably and relays it to a sink (not timed here).
    const sink = o.target === undefined ? yield* startSink("127.0.0.1", o.sinkPort) : undefined
    const server = yield* underTest(o, sink === undefined ? undefined : { host: "127.0.0.1", port: sink.port })
    yield* measure(o, server, undefined)
  })

export const e2e = (o: Options): Effect.Effect<void, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const sink = yield* startSink("127.0.0.1", o.sinkPort)
    note(`sink listening on 127.0.0.1:${sink.port}${o.target === undefined ? "" : " (the server must relay the recipients' domain here)"}`)
    const server = yield* underTest(o, { host: "127.0.0.1", port: sink.port })
    yield* measure(o, server, sink)
  })

export const wire = (o: Options): Effect.Effect<void, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const { command, args } = ServerProcess.tsxCommand(benchMain, ["sink", "--port", "0", "--quiet"])
    const running = yield* ServerProcess.spawn({
      name: "sink",
      command,
      args,
      cwd: repoRoot,
      env: {},
      readiness: { _tag: "Stdout", pattern: /listening on (\S+):(\d+)/ },
      startTimeoutMs: 30_000
    })
    const port = Number(running.match[1])
    yield* measure(o, { target: { host: "127.0.0.1", port }, label: o.label ?? "sink", store: "-", pid: running.pid, followChildren: false }, undefined)
  })

/**
 * `large`: `--concurrency` connections (default 50) each send one `--size` message (default 20 MiB) at the same
 * time; prints the server's memory before and at its peak (docs/decisions/spill-to-disk.md). The spawned Cartero
 * queues them (SQLite or Redis per `--store`) and delivers nothing.
 */
export const large = (o: Options): Effect.Effect<void, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const count = o.concurrency === defaults.concurrency ? 50 : o.concurrency
    const size = o.size === defaults.size ? 20 * 1024 * 1024 : o.size
    const sinkServer = o.target === undefined ? yield* startSink("127.0.0.1", 0) : undefined
    const server = yield* underTest({ ...o, size }, sinkServer === undefined ? undefined : { host: "127.0.0.1", port: sinkServer.port })
    const idle = server.pid === undefined ? undefined : ProcessSampler.start(server.pid, { followChildren: server.followChildren }).stop()
    const sampler = server.pid === undefined ? undefined : ProcessSampler.start(server.pid, { followChildren: server.followChildren, intervalMs: 50 })
    const started = performance.now()
    const outcome = yield* Effect.promise(() =>
      LargeMessages.run({
        host: server.target.host,
        port: server.target.port,
        count,
        size,
        to: `rcpt@${o.recipientsDomain}`,
        // The store writes 1 GB at once: an answer may take longer than the default read bound.
        readTimeoutMs: (o.readTimeoutSeconds === defaults.readTimeoutSeconds ? 120 : o.readTimeoutSeconds) * 1000
      })
    )
    const seconds = (performance.now() - started) / 1000
    const usage = sampler?.stop()
    const mib = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1)
    const row = {
      scenario: "large",
      label: server.label,
      store: server.store,
      connections: count,
      sizeMiB: Number(mib(size)),
      accepted: outcome.accepted,
      refused: outcome.refused.length,
      failed: outcome.failed.length,
      seconds: Number(seconds.toFixed(2)),
      idleRssMiB: idle === undefined ? null : Number(mib(idle.peakRssBytes)),
      peakRssMiB: usage === undefined ? null : Number(mib(usage.peakRssBytes))
    }
    if (o.json) process.stdout.write(`${JSON.stringify(row)}\n`)
    else {
      process.stdout.write(
        `large: ${count} connections x ${mib(size)} MiB to ${server.label} (${server.store}): ${outcome.accepted} accepted, ` +
          `${outcome.refused.length} refused, ${outcome.failed.length} failed in ${seconds.toFixed(1)} s; ` +
          `RSS ${row.idleRssMiB ?? "-"} MiB idle, ${row.peakRssMiB ?? "-"} MiB peak\n`
      )
      for (const r of [...new Set([...outcome.refused, ...outcome.failed])].slice(0, 5)) process.stdout.write(`  ${r}\n`)
    }
  })

/** The standalone sink: listens until SIGINT/SIGTERM, then prints what arrived per run. */
export const sink = (o: Options): Effect.Effect<void, ServerProcess.ServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const s = yield* startSink(o.host, o.port)
    process.stdout.write(`listening on ${s.host}:${s.port}\n`)
    let last = 0
    const timer = o.quiet ? undefined : setInterval(() => {
      if (s.messages === last) return
      process.stdout.write(`${new Date().toISOString()} messages=${s.messages} (+${s.messages - last}/s) connections=${s.connections}\n`)
      last = s.messages
    }, 1000)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        if (timer !== undefined) clearInterval(timer)
        process.stdout.write(`sink: ${s.messages} messages, ${s.bytes} bytes, ${s.connections} connections\n`)
        for (const runId of s.runIds()) {
          const a = s.arrivals(runId)
          const l = Stats.summarize(a.latenciesMs)
          process.stdout.write(
            `  run ${runId}: ${a.unique} unique (+${a.duplicates} duplicates), e2e p50 ${l.p50?.toFixed(1) ?? "-"} ms, ` +
              `p99 ${l.p99?.toFixed(1) ?? "-"} ms\n`
          )
        }
      })
    )
    return yield* Effect.never
  })

/**
 * Runs a package benchmark as a child process: `pnpm --filter @cartero/mime bench`, and for the queue (whose
 * benchmark compares the stores, which live in packages of their own) `pnpm --filter @cartero/bench bench:queue`.
 */
export const packageBench = (name: "mime" | "queue", o: Options): Effect.Effect<void, ServerProcess.ServerError> =>
  Effect.gen(function*() {
    const [pkg, script] = name === "queue" ? ["@cartero/bench", "bench:queue"] : [`@cartero/${name}`, "bench"]
    const manifest = `${repoRoot}${name === "queue" ? "apps/bench" : `packages/${name}`}/package.json`
    const hasScript = (() => {
      if (!existsSync(manifest)) return false
      const json: unknown = JSON.parse(readFileSync(manifest, "utf8"))
      if (typeof json !== "object" || json === null || !("scripts" in json)) return false
      const scripts: unknown = json.scripts
      return typeof scripts === "object" && scripts !== null && script in scripts
    })()
    if (!hasScript) {
      process.stdout.write(`${pkg} has no "${script}" script (yet): nothing to run\n`)
      return
    }
    const code = yield* Effect.callback<number | null, ServerProcess.ServerError>((resume) => {
      const child = spawnChild("pnpm", ["--filter", pkg, script], { cwd: repoRoot, stdio: "inherit" })
      const timer = setTimeout(() => child.kill("SIGTERM"), o.timeoutSeconds * 1000 * 10)
      child.once("error", (e) => resume(Effect.fail(new ServerProcess.ServerError({ message: `pnpm: ${e.message}` }))))
      child.once("exit", (c) => {
        clearTimeout(timer)
        resume(Effect.succeed(c))
      })
      // Interrupted (Ctrl-C): stop the child we started, by its pid.
      return Effect.sync(() => {
        clearTimeout(timer)
        child.kill("SIGTERM")
      })
    })
    if (code !== 0) return yield* new ServerProcess.ServerError({ message: `${pkg} ${script} exited with ${code}` })
  })
