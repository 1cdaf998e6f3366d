/**
 * The messages a scenario sends: the benchmark's message ({@link BenchMessage}: `X-Bench-Id: <run>-<seq> <sent>`,
 * which every sink here recognises) with one more header in front, `X-Faults-Attempt: <n>`, the client's attempt
 * number for that message.
 *
 * The attempt number is what lets a duplicate explain itself. Two arrivals of one id with *different* attempt
 * numbers are two queued copies: the client retried a transaction the server had kept although the client never saw
 * its `250` (the reply lost, RFC 1047's window; or a `451` sent after the store's rollback failed): an inbound
 * duplicate. Two arrivals with the *same* attempt number are one queued
 * copy delivered twice: the at-least-once window between the next hop's `250` and the queue recording it (an
 * outbound duplicate, docs/queue.md).
 *
 * @since 0.1.0
 */
import { BenchMessage } from "@cartero/bench"

const attemptHeader = "X-Faults-Attempt"
const attemptPattern = /^x-faults-attempt:[ \t]*(\d+)/im

/** A message factory for one run: `bytes(seq, attempt)` is the DATA payload, final `.` line included. */
export interface Factory {
  readonly runId: string
  readonly bytes: (seq: number, attempt: number) => Buffer
  /** The `X-Bench-Id` of `seq` (`<run>-<seq, 10 digits>`). */
  readonly id: (seq: number) => string
}

/** Renders the run's message once; each send copies it and stamps id and time. */
export const factory = (options: { readonly size: number; readonly from: string; readonly to: string }): Factory => {
  const runId = BenchMessage.makeRunId()
  const base = BenchMessage.render({ size: options.size, runId, from: options.from, to: options.to })
  return {
    runId,
    id: (seq) => `${runId}-${String(seq).padStart(10, "0")}`,
    bytes: (seq, attempt) => {
      const template: BenchMessage.Template = { ...base, bytes: Buffer.from(base.bytes) }
      BenchMessage.stamp(template, seq, BenchMessage.nowMicros())
      return Buffer.concat([Buffer.from(`${attemptHeader}: ${attempt}\r\n`, "latin1"), template.bytes])
    }
  }
}

/** What a sink read from a message head: the bench id and the attempt, when present. */
export interface Seen {
  readonly id: string
  readonly attempt: number
}

/** Parses a message head (or the start of a message); undefined for mail that is not ours (a bounce, say). */
export const parse = (head: string): Seen | undefined => {
  const end = head.indexOf("\r\n\r\n")
  const header = end < 0 ? head : head.slice(0, end)
  const bench = BenchMessage.parseHead(header)
  if (bench === undefined) return undefined
  return { id: bench.id, attempt: Number(attemptPattern.exec(header)?.[1] ?? "0") }
}
