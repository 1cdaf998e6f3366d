/**
 * The worker side of the fuzzer's pool: reads each message it is sent with every step of a check and answers with
 * the time taken (in all, and by the slowest step) and the error, if any. A check that never returns is the pool's to end (it terminates the worker): a synchronous
 * loop cannot be interrupted from inside its own thread.
 *
 * @since 0.1.0
 */
import { parentPort } from "node:worker_threads"
import type { Step } from "./check.ts"

/** A message to check. */
export interface Job {
  readonly index: number
  readonly bytes: Uint8Array
}

/** The answer to a {@link Job}. */
export interface Result {
  readonly index: number
  /** Time taken by every step together. */
  readonly ms: number
  /** The slowest step and its time: the limit applies to each step. */
  readonly slowestStep: string
  readonly slowestMs: number
  /** The step that threw and the exception's stack (or text), when one did. */
  readonly error: string | undefined
}

/** Said once the worker has loaded its code and warmed it up, before any job. */
export const READY = "ready"

/** The message a worker reads before it says {@link READY}. */
export const WARM_UP: Uint8Array = Buffer.from("Content-Type: multipart/mixed; boundary=b\r\nSubject: =?utf-8?q?a?=\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n")

const errorText = (e: unknown): string => (e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e))

/** Runs every step on `bytes`; the first exception ends the run and is part of the result. */
const runSteps = (steps: ReadonlyArray<Step>, index: number, bytes: Uint8Array): Result => {
  let ms = 0
  let slowestStep = ""
  let slowestMs = 0
  for (const step of steps) {
    const start = performance.now()
    let error: string | undefined
    try {
      step.run(bytes)
    } catch (e) {
      error = `${step.name}: ${errorText(e)}`
    }
    const took = performance.now() - start
    ms += took
    if (took > slowestMs) {
      slowestMs = took
      slowestStep = step.name
    }
    if (error !== undefined) return { index, ms, slowestStep, slowestMs, error }
  }
  return { index, ms, slowestStep, slowestMs, error: undefined }
}

/** Serves jobs from the parent thread with `steps`. */
export const serve = (steps: ReadonlyArray<Step>): void => {
  const port = parentPort
  if (port === null) throw new Error("serve() runs in a worker thread")
  // A few small messages first, so that the first job is not also the one that pays for compiling the parser. What
  // goes wrong here goes wrong on the jobs too, and is reported there.
  for (let i = 0; i < 20; i++) runSteps(steps, -1, WARM_UP)
  port.on("message", (job: Job) => port.postMessage(runSteps(steps, job.index, job.bytes)))
  port.postMessage(READY)
}
