/**
 * The server under test as a child process: spawn, wait until it greets, stop it by pid.
 *
 * Spawning is an `Effect.acquireRelease`, so the child is stopped whatever ends the run: success, failure, a
 * deadline, or Ctrl-C (`NodeRuntime.runMain` interrupts the program and the finaliser runs). Stopping is SIGTERM,
 * then SIGKILL after a bound, always by the pid we spawned, never by name. The child gets its own stdout/stderr
 * pipes, of which the last lines are kept for error messages (and never allowed to fill and block the child).
 *
 * TypeScript entry points run as `node --import tsx file.ts` rather than through the `tsx` CLI, because the CLI
 * is a wrapper process that spawns the real Node process: sampling the wrapper's pid would measure the wrapper.
 *
 * @since 0.1.0
 */
import { type ChildProcess, spawn as spawnChild } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import * as net from "node:net"
import * as Path from "node:path"
import { Data, Effect, type Scope } from "effect"

export class ServerError extends Data.TaggedError("ServerError")<{ readonly message: string }> {}

/** How to know the child is ready. */
export type Readiness =
  | { readonly _tag: "Greets"; readonly host: string; readonly port: number }
  | { readonly _tag: "Stdout"; readonly pattern: RegExp }

export interface Spec {
  /** Used in messages only. */
  readonly name: string
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly cwd: string
  readonly env: Readonly<Record<string, string>>
  readonly readiness: Readiness
  readonly startTimeoutMs: number
  /** Bound between SIGTERM and SIGKILL. */
  readonly stopTimeoutMs?: number
}

export interface Running {
  readonly pid: number
  /** Capture groups of the stdout readiness line (e.g. the port a sink bound), empty for `Greets`. */
  readonly match: ReadonlyArray<string>
  /** The last lines the child printed. */
  readonly logTail: () => string
}

// BENCH_NODE_ARGS: extra node flags for the server under test only (e.g. "--cpu-prof --cpu-prof-dir=/tmp/p").
const benchNodeArgs = (): Array<string> => (process.env["BENCH_NODE_ARGS"] ?? "").split(" ").filter((a) => a !== "")

/** `node --import tsx <file> ...args`, with tsx resolved from this package (so any cwd works). */
export const tsxCommand = (file: string, args: ReadonlyArray<string>): { command: string; args: Array<string> } => ({
  command: process.execPath,
  args: [...benchNodeArgs(), "--import", import.meta.resolve("tsx"), file, ...args]
})

/**
 * The node flags `pnpm start` gives the app's bundle `dist/<name>.mjs`, read from the `start` script of the
 * package.json above `dist/` (`node --enable-source-maps --max-semi-space-size=4 dist/main.mjs` → those two
 * flags), so the benchmark runs the app exactly as operators do, and a tree given by `BENCH_CARTERO_MAIN` with its
 * own flags. Any other file, or a script of another shape: `--enable-source-maps` only.
 */
export const startFlags = (file: string): Array<string> => {
  const fallback = ["--enable-source-maps"]
  const manifest = Path.join(Path.dirname(Path.dirname(file)), "package.json")
  if (Path.basename(Path.dirname(file)) !== "dist" || !existsSync(manifest)) return fallback
  const parsed: unknown = JSON.parse(readFileSync(manifest, "utf8"))
  const scripts = typeof parsed === "object" && parsed !== null && "scripts" in parsed ? parsed.scripts : undefined
  const start = typeof scripts === "object" && scripts !== null && "start" in scripts ? scripts.start : undefined
  if (typeof start !== "string") return fallback
  const entry = `dist/${Path.basename(file)}`
  const match = new RegExp(`(?:^|&&\\s*)node((?:\\s+--[^\\s]+)*)\\s+${entry.replace(/\./g, "\\.")}(?:\\s|$)`).exec(start)
  return match === null ? fallback : (match[1] ?? "").split(/\s+/).filter((f) => f !== "")
}

/** `node <flags of pnpm start> <file> ...args`: compiled JavaScript, as `pnpm start` runs the app. */
export const nodeCommand = (file: string, args: ReadonlyArray<string>): { command: string; args: Array<string> } => ({
  command: process.execPath,
  // BENCH_NODE_ARGS last: a flag given there overrides the start script's (e.g. another --max-semi-space-size).
  args: [...startFlags(file), ...benchNodeArgs(), file, ...args]
})

/** A TypeScript entry point runs with tsx, anything else (the app's bundle, `dist/main.mjs`) with plain node. */
export const command = (file: string, args: ReadonlyArray<string>): { command: string; args: Array<string> } =>
  file.endsWith(".ts") ? tsxCommand(file, args) : nodeCommand(file, args)

/** A free loopback port: bind port 0, read it, release it (a small race, acceptable for a benchmark). */
export const freePort = (host = "127.0.0.1"): Effect.Effect<number, ServerError> =>
  Effect.callback<number, ServerError>((resume) => {
    const s = net.createServer()
    s.once("error", (e) => resume(Effect.fail(new ServerError({ message: `no free port: ${e.message}` }))))
    s.listen(0, host, () => {
      const a = s.address()
      const port = typeof a === "object" && a !== null ? a.port : 0
      s.close(() => resume(Effect.succeed(port)))
    })
  })

/** Resolves `true` when something on host:port sends a 2xx greeting line within `timeoutMs`. */
export const greets = (host: string, port: number, timeoutMs: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host, port })
    let text = ""
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.on("error", () => done(false))
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1")
      if (text.includes("\n")) {
        socket.end("QUIT\r\n")
        done(/^2\d\d/.test(text))
      }
    })
  })

const tailLines = 40

/** Spawns `spec`, waits until it is ready, and stops it when the scope closes. */
export const spawn = (spec: Spec): Effect.Effect<Running, ServerError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: () => start(spec),
      catch: (e) => (e instanceof ServerError ? e : new ServerError({ message: String(e) }))
    }),
    (started) => Effect.promise(() => stop(started.child, spec.stopTimeoutMs ?? 5000))
  ).pipe(Effect.map(({ running }) => running))

const start = async (spec: Spec): Promise<{ readonly child: ChildProcess; readonly running: Running }> => {
  const child = spawnChild(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  const logTail = (): string => lines.join("\n")
  let stdoutWaiter: ((match: ReadonlyArray<string>) => void) | undefined
  const onOutput = (chunk: Buffer): void => {
    for (const line of chunk.toString("utf8").split("\n")) {
      if (line.length === 0) continue
      lines.push(line)
      if (lines.length > tailLines) lines.shift()
      if (stdoutWaiter !== undefined && spec.readiness._tag === "Stdout") {
        const m = spec.readiness.pattern.exec(line)
        if (m !== null) stdoutWaiter(m.slice(1).map((g) => g ?? ""))
      }
    }
  }
  // Always drained, so a chatty server never blocks on a full pipe.
  child.stdout?.on("data", onOutput)
  child.stderr?.on("data", onOutput)
  const pid = child.pid
  const exited = new Promise<string>((resolve) => {
    child.once("error", (e) => resolve(`could not start: ${e.message}`))
    child.once("exit", (code, signal) => resolve(`exited early (code ${code}, signal ${signal})`))
  })
  const fail = async (message: string): Promise<never> => {
    await stop(child, 2000)
    throw new ServerError({ message: `${spec.name}: ${message}\n--- last output ---\n${logTail()}` })
  }
  if (pid === undefined) return fail(await exited)
  const deadline = Date.now() + spec.startTimeoutMs
  const readiness = spec.readiness
  let match: ReadonlyArray<string> = []
  if (readiness._tag === "Stdout") {
    const seen = new Promise<ReadonlyArray<string>>((resolve) => {
      stdoutWaiter = resolve
    })
    const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), spec.startTimeoutMs).unref())
    const first = await Promise.race([seen, exited, timeout])
    if (first === "timeout") return fail(`not ready within ${spec.startTimeoutMs} ms`)
    if (typeof first === "string") return fail(first)
    match = first
  } else {
    let ready = false
    let gone: string | undefined
    void exited.then((why) => {
      gone = why
    })
    // Bounded by the start deadline; each probe is bounded by its own timeout.
    while (!ready && gone === undefined && Date.now() < deadline) {
      ready = await greets(readiness.host, readiness.port, 1000)
      if (!ready) await new Promise((r) => setTimeout(r, 100))
    }
    if (gone !== undefined) return fail(gone)
    if (!ready) return fail(`no SMTP greeting on ${readiness.host}:${readiness.port} within ${spec.startTimeoutMs} ms`)
  }
  return { child, running: { pid, match, logTail } }
}

/** SIGTERM, wait up to `boundMs`, then SIGKILL and wait a little more. Never throws. */
const stop = async (child: ChildProcess, boundMs: number): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return
  const gone = new Promise<boolean>((resolve) => child.once("exit", () => resolve(true)))
  const within = (ms: number): Promise<boolean> =>
    Promise.race([gone, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())])
  child.kill("SIGTERM")
  if (await within(boundMs)) return
  child.kill("SIGKILL")
  await within(2000)
}
