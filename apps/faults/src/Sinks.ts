/**
 * Where a scenario's mail ends up, counted into a {@link Ledger}:
 *
 * - `nextHop`: `@cartero/testing`'s `SmtpSink` on loopback, the next hop the app relays to. Each accepted
 *   message is counted when the sink has it, *before* its `250` goes out, as a real server commits before it
 *   answers; `acceptDelay` holds that `250` back (a slow next hop), which is the window in which a killed sender
 *   delivers twice.
 * - `maildirs`: the Maildirs of local recipients, scanned (`new/` and `cur/`); files left in `tmp/` are counted
 *   apart, as leftovers.
 *
 * The benchmark's `CountingSink` counts per run id only and cannot be scripted; the attempt header and scripted
 * replies need the test kit's sink.
 *
 * @since 0.1.0
 */
import { SmtpSink } from "@cartero/testing"
import { type Duration, Effect, type Scope } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import type { Ledger } from "./Ledger.ts"

/** The first bytes of a message, enough for its header. */
const headOf = (data: Buffer): string => data.toString("latin1", 0, Math.min(data.length, 64 * 1024))

/** The script that counts every complete message into `ledger` and answers `250` (after `acceptDelay`). */
export const counting = (ledger: Ledger, acceptDelay?: Duration.Input): SmtpSink.Options => ({
  message: (m) => {
    ledger.record(headOf(m.data))
    return SmtpSink.reply(250, "2.0.0 Ok: queued", acceptDelay === undefined ? {} : { delay: acceptDelay })
  }
})

/** A next hop on 127.0.0.1 counting into `ledger`; closed with the scope. */
export const nextHop = (
  ledger: Ledger,
  acceptDelay?: Duration.Input
): Effect.Effect<SmtpSink.Service, SmtpSink.SmtpSinkError, Scope.Scope> => SmtpSink.make(counting(ledger, acceptDelay))

/** What a Maildir scan found. */
export interface MaildirScan {
  /** Files in `tmp/`: written but never moved into `new/` (a store that failed half-way should leave none). */
  readonly leftovers: number
}

/** Counts every message under `root` (`<root>/<domain>/<user>/Maildir/{new,cur}`) not seen before into `ledger`. */
export const scanMaildirs = (root: string, ledger: Ledger, seen: Set<string>): Effect.Effect<MaildirScan> =>
  Effect.promise(async () => {
    const entries = await Fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])
    let leftovers = 0
    for (const e of entries) {
      if (!e.isFile()) continue
      const folder = Path.basename(e.parentPath)
      const file = Path.join(e.parentPath, e.name)
      if (folder === "tmp") {
        leftovers++
        continue
      }
      if ((folder !== "new" && folder !== "cur") || seen.has(e.name)) continue
      const handle = await Fs.open(file, "r").catch(() => undefined)
      if (handle === undefined) continue
      try {
        const buffer = Buffer.alloc(16 * 1024)
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0)
        seen.add(e.name)
        ledger.record(buffer.toString("latin1", 0, bytesRead))
      } finally {
        await handle.close()
      }
    }
    return { leftovers }
  })
