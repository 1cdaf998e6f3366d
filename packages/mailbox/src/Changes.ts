/**
 * Messages appearing in and disappearing from the Maildirs under a root, whoever (which process) wrote or deleted
 * them: a poll of the modification times of every `new/` and `cur/` directory, and a fresh `readdir` (names only)
 * of a Maildir whose directories changed, compared with the names it had. A message that moves from new/ to cur/
 * (flagged seen) keeps its unique name, so it is neither new nor removed.
 *
 * Polling rather than `fs.watch`: it sees writes of other processes and of network file systems alike, survives
 * directories being replaced, and its cost is bounded (two `stat`s per mailbox per interval, no file reads). The
 * first pass only records what exists; events start after it.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schedule } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Folder from "./Folder.ts"
import * as Names from "./Names.ts"

/** A message appeared (`mail`) or disappeared (`mail-removed`). */
export interface Change {
  readonly _tag: "mail" | "mail-removed"
  readonly mailbox: string
  readonly id: string
}

interface Known {
  stamp: string
  uniques: ReadonlySet<string>
}

const stampOf = (dir: string): Effect.Effect<string> =>
  Effect.promise(async () => {
    const times = await Promise.all(["new", "cur"].map((sub) =>
      Fs.stat(Path.join(dir, sub)).then((s) => `${s.mtimeMs}/${s.ctimeMs}/${s.ino}`, () => "-")
    ))
    return times.join("|")
  })

/** Polls `root` every `interval` and calls `publish` for each change, until interrupted. Never fails: errors are logged and the next pass tries again. */
export const watch = (root: string, interval: Duration.Input, publish: (change: Change) => Effect.Effect<unknown>): Effect.Effect<never> => {
  const known = new Map<string, Known>()
  let first = true
  const pass = Effect.gen(function*() {
    const seen = new Set<string>()
    for (const domain of yield* Folder.names(root)) {
      for (const local of yield* Folder.names(Path.join(root, domain))) {
        const mailbox = Names.addressOf(domain, local)
        if (mailbox === undefined) continue
        const dir = Path.join(root, domain, local, "Maildir")
        seen.add(dir)
        const stamp = yield* stampOf(dir)
        const before = known.get(dir)
        if (before !== undefined && before.stamp === stamp) continue
        const uniques = new Set((yield* Folder.scan(dir)).map((e) => e.unique))
        known.set(dir, { stamp, uniques })
        // A mailbox created after the first pass: all its mail is new.
        if (first) continue
        const previous = before?.uniques ?? new Set<string>()
        for (const unique of uniques) {
          if (!previous.has(unique)) yield* publish({ _tag: "mail", mailbox, id: Names.idOf(unique) })
        }
        for (const unique of previous) {
          if (!uniques.has(unique)) yield* publish({ _tag: "mail-removed", mailbox, id: Names.idOf(unique) })
        }
      }
    }
    for (const dir of known.keys()) if (!seen.has(dir)) known.delete(dir)
    first = false
  }).pipe(
    Effect.catchCause((cause) => Effect.logWarning("Maildir change watcher: pass failed", cause))
  )
  return pass.pipe(Effect.repeat(Schedule.spaced(interval)), Effect.andThen(Effect.never))
}
