/**
 * The fuzz driver: makes the mutated messages (mutate.ts) and has a pool of worker threads check them (check.ts),
 * each under a watchdog. A message fails when one of the check's steps (each a way of reading it: check.ts) throws
 * or takes longer than the limit, or when the check does not answer at all within the watchdog's time (the worker
 * is then terminated and replaced: a synchronous hang cannot be stopped any other way). The command line is index.ts; the test suite runs this on a few messages so it cannot rot.
 *
 * @since 0.1.0
 */
import { Worker } from "node:worker_threads"
import { sample, type Entry, type Sample } from "./mutate.ts"
import { READY, type Job, type Result } from "./serve.ts"

export interface Options {
  /** Messages to make and check (numbered from 0). */
  readonly count: number
  /** No message is started after this many seconds; those running finish (or meet the watchdog). */
  readonly seconds: number
  readonly seed: number
  /** A message whose check takes longer fails. */
  readonly limitMs: number
  readonly workers: number
  /** Check only these message numbers (to reproduce a failure). */
  readonly only?: ReadonlyArray<number>
  /** How long a check may go unanswered before its worker is terminated; {@link watchdogFor} the limit by default. */
  readonly watchdogMs?: number
  /** The worker's TypeScript entry (a module calling `serve`); the real checks by default. */
  readonly entry?: URL
  /** Called after each message. */
  readonly onOutcome?: (outcome: Outcome, done: number) => void
}

/** What happened to one message. */
export interface Outcome {
  readonly index: number
  readonly label: string
  readonly size: number
  /** Time the check took in its worker, all steps together (for a hang: the watchdog's time; NaN for a crash). */
  readonly ms: number
  /** The slowest step and its time: a message over the limit is one with a step over the limit. */
  readonly slowestStep: string
  readonly slowestMs: number
  readonly error: string | undefined
  readonly timedOut: boolean
}

export interface Report {
  readonly options: Options
  readonly requested: number
  readonly outcomes: ReadonlyArray<Outcome>
  readonly elapsedMs: number
  /** Whether `seconds` ran out before every message was started. */
  readonly stoppedByTime: boolean
  /** A check that did not answer within this is a hang. */
  readonly watchdogMs: number
}

/** How long a check may run before its worker is terminated: well past the limit, so that slow is told from hung. */
export const watchdogFor = (limitMs: number): number => Math.max(5 * limitMs, 5000)

const boot = new URL("./boot.mjs", import.meta.url)
const defaultEntry = new URL("./worker.ts", import.meta.url)

/** Starts a worker and resolves once it has loaded and warmed up. */
const start = (entry: URL): Promise<Worker> =>
  new Promise((resolve, reject) => {
    const worker = new Worker(boot, { workerData: { entry: entry.href } })
    // Errors while a job runs are the job's (see `ask`); one while idle must not crash the driver.
    worker.on("error", () => undefined)
    const onError = (e: Error) => reject(e)
    worker.once("error", onError)
    worker.once("message", (m: unknown) => {
      worker.off("error", onError)
      if (m === READY) resolve(worker)
      else reject(new Error(`fuzz worker said ${JSON.stringify(m)} before it was ready`))
    })
  })

type Answer = { readonly kind: "done"; readonly result: Result } | { readonly kind: "timeout" } | { readonly kind: "crash"; readonly error: string }

/** Sends one message to `worker` and waits for its answer, the watchdog, or the worker's death. */
const ask = (worker: Worker, job: Job, watchdogMs: number): Promise<Answer> =>
  new Promise((resolve) => {
    const finish = (answer: Answer) => {
      clearTimeout(timer)
      worker.off("message", onMessage)
      worker.off("error", onError)
      worker.off("exit", onExit)
      resolve(answer)
    }
    const onMessage = (m: Result) => {
      if (m.index === job.index) finish({ kind: "done", result: m })
    }
    const onError = (e: Error) => finish({ kind: "crash", error: e.stack ?? e.message })
    const onExit = (code: number) => finish({ kind: "crash", error: `worker exited with code ${code}` })
    const timer = setTimeout(() => finish({ kind: "timeout" }), watchdogMs)
    worker.on("message", onMessage)
    worker.once("error", onError)
    worker.once("exit", onExit)
    worker.postMessage(job)
  })

/** Makes and checks the messages; never rejects because of what a message does. */
export const run = async (corpus: ReadonlyArray<Entry>, options: Options): Promise<Report> => {
  const begin = performance.now()
  const deadline = begin + options.seconds * 1000
  const watchdogMs = options.watchdogMs ?? watchdogFor(options.limitMs)
  const indices = options.only ?? Array.from({ length: options.count }, (_, i) => i)
  const outcomes: Array<Outcome> = []
  let next = 0
  let stoppedByTime = false
  const entry = options.entry ?? defaultEntry
  const lane = async (): Promise<void> => {
    let worker = await start(entry)
    try {
      for (;;) {
        if (next >= indices.length) return
        if (performance.now() > deadline) {
          stoppedByTime = true
          return
        }
        const index = indices[next++] ?? 0
        const input: Sample = sample(corpus, options.seed, index)
        const answer = await ask(worker, { index, bytes: input.bytes }, watchdogMs)
        const base = { index, label: input.label, size: input.bytes.length }
        let outcome: Outcome
        if (answer.kind === "done") {
          const r = answer.result
          outcome = { ...base, ms: r.ms, slowestStep: r.slowestStep, slowestMs: r.slowestMs, error: r.error, timedOut: false }
        } else {
          outcome =
            answer.kind === "timeout"
              ? { ...base, ms: watchdogMs, slowestStep: "", slowestMs: watchdogMs, error: undefined, timedOut: true }
              : { ...base, ms: Number.NaN, slowestStep: "", slowestMs: Number.NaN, error: answer.error, timedOut: false }
          await worker.terminate()
          worker = await start(entry)
        }
        outcomes.push(outcome)
        options.onOutcome?.(outcome, outcomes.length)
      }
    } finally {
      await worker.terminate()
    }
  }
  const lanes = Math.max(1, Math.min(options.workers, indices.length))
  await Promise.all(Array.from({ length: lanes }, lane))
  outcomes.sort((a, b) => a.index - b.index)
  return { options, requested: indices.length, outcomes, elapsedMs: performance.now() - begin, stoppedByTime, watchdogMs }
}

/** The messages that threw (or killed their worker). */
export const exceptions = (report: Report): Array<Outcome> => report.outcomes.filter((o) => o.error !== undefined)
/** The messages that never answered. */
export const timeouts = (report: Report): Array<Outcome> => report.outcomes.filter((o) => o.timedOut)
/** The messages that answered, but with a step that took longer than the limit. */
export const slow = (report: Report): Array<Outcome> => report.outcomes.filter((o) => !o.timedOut && o.error === undefined && o.slowestMs > report.options.limitMs)

/** Whether a message failed: a reader threw, hung, or took longer than `limitMs`. */
export const isFailure = (o: Outcome, limitMs: number): boolean => o.error !== undefined || o.timedOut || o.slowestMs > limitMs

/** The messages that failed: exceptions, then hangs, then those over the limit. */
export const failures = (report: Report): Array<Outcome> => [...exceptions(report), ...timeouts(report), ...slow(report)]

/** Whether any message failed. */
export const failed = (report: Report): boolean => failures(report).length > 0

const percentile = (sorted: ReadonlyArray<number>, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0

const size = (bytes: number): string => (bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`)

const line = (o: Outcome): string =>
  o.timedOut
    ? `      hung  #${o.index}  ${size(o.size)}  ${o.label}`
    : `${`${o.slowestMs.toFixed(1)} ms`.padStart(10)}  #${o.index}  ${size(o.size)}  ${o.label}  [${o.slowestStep}; all steps ${o.ms.toFixed(1)} ms]`

/** The report as printed by the command line. */
export const format = (report: Report): string => {
  const { options } = report
  const out: Array<string> = []
  const answered = report.outcomes.filter((o) => !o.timedOut && o.error === undefined)
  const steps = answered.map((o) => o.slowestMs).sort((a, b) => a - b)
  const totals = answered.map((o) => o.ms).sort((a, b) => a - b)
  out.push(`MIME fuzz: seed ${options.seed}, ${report.outcomes.length} of ${report.requested} messages checked, ${options.workers} worker(s), limit ${options.limitMs} ms per message and reader`)
  if (report.stoppedByTime) out.push(`  stopped after ${options.seconds} s (--seconds): the remaining messages were not checked`)
  out.push(`  exceptions: ${exceptions(report).length}`)
  out.push(`  hangs (no answer within ${report.watchdogMs} ms, worker terminated): ${timeouts(report).length}`)
  out.push(`  over the limit: ${slow(report).length}`)
  out.push(`  time: ${(report.elapsedMs / 1000).toFixed(1)} s in all`)
  out.push(`  slowest reader per message: median ${percentile(steps, 0.5).toFixed(1)} ms, 99th percentile ${percentile(steps, 0.99).toFixed(1)} ms, max ${(steps[steps.length - 1] ?? 0).toFixed(1)} ms`)
  out.push(`  all readers per message: median ${percentile(totals, 0.5).toFixed(1)} ms, 99th percentile ${percentile(totals, 0.99).toFixed(1)} ms, max ${(totals[totals.length - 1] ?? 0).toFixed(1)} ms`)
  out.push("  slowest messages:")
  for (const o of [...answered].sort((a, b) => b.slowestMs - a.slowestMs).slice(0, 5)) out.push(line(o))
  const failed = failures(report)
  if (failed.length > 0) {
    out.push("  failures:")
    for (const o of failed) {
      out.push(line(o))
      if (o.error !== undefined) for (const l of o.error.split("\n").slice(0, 6)) out.push(`              ${l}`)
    }
    out.push(`  reproduce one with: pnpm --filter @cartero/mime fuzz -- --seed ${options.seed} --index N`)
  }
  return out.join("\n")
}
