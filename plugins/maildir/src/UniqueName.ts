/**
 * Unique file names for Maildir deliveries, in the form Dovecot and Courier write and every Maildir reader
 * accepts: `<seconds>.M<microseconds>P<pid>Q<counter>.<host>,S=<size>`.
 *
 * Uniqueness comes from the triple (time, pid, per-process counter) plus the host name, so it holds across
 * processes sharing a Maildir over the network. The counter is per process on purpose (the name says `P<pid>`):
 * it is shared by every Maildir plugin instance in the process, which is what keeps two instances writing the same
 * second from colliding. As a last guard, files are created with `O_EXCL`, so a collision fails instead of
 * overwriting.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import * as Os from "node:os"

/** The parts of a name. */
export interface Parts {
  /** Wall-clock time in nanoseconds since the epoch. */
  readonly nanos: bigint
  readonly pid: number
  readonly counter: number
  readonly host: string
  /** Size of the stored file in octets (`,S=` lets readers skip a stat). */
  readonly size: number
}

/**
 * Escapes the host name as the Maildir specification asks: `/` and `:` (which separates the info suffix) become
 * `\057` and `\072`; `,` (which separates `S=`) becomes `\054`, as in Dovecot.
 */
export const sanitizeHost = (host: string): string =>
  (host === "" ? "localhost" : host).replace(/[/:,\\\u0000-\u001f\u007f]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`)

/** Renders a name from its parts. */
export const format = (parts: Parts): string => {
  const seconds = parts.nanos / 1_000_000_000n
  const micros = (parts.nanos % 1_000_000_000n) / 1000n
  return `${seconds}.M${micros}P${parts.pid}Q${parts.counter}.${sanitizeHost(parts.host)},S=${parts.size}`
}

// One counter per process: see the module documentation for why this is not per plugin instance.
let deliveries = 0

/** A fresh unique name for a file of `size` octets. */
export const make = (size: number, host: string = Os.hostname()): Effect.Effect<string> =>
  Effect.gen(function*() {
    const nanos = yield* Clock.currentTimeNanos
    deliveries += 1
    return format({ nanos, pid: process.pid, counter: deliveries, host, size })
  })
