/**
 * One Maildir on disk: its messages as names (a `readdir` of new/ and cur/, no per-file `stat`), where one message
 * is now, and the file operations the API needs (read a bounded prefix, move to set flags, delete).
 *
 * Another process may deliver, flag or delete at any moment: every operation that finds a file gone looks it up
 * again (a bounded number of times) before answering "not found".
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { MaildirReadError } from "./MailboxError.ts"
import * as Names from "./Names.ts"

/** A message file. */
export interface Entry {
  /** The Maildir unique name (the id's content). */
  readonly unique: string
  /** The path relative to the Maildir: `new/<unique>` or `cur/<unique>:2,<flags>`. */
  readonly file: string
  readonly seen: boolean
  /** From the unique name's leading timestamp; 0 when it has none. */
  readonly seconds: number
}

const isMissing = (cause: unknown): boolean =>
  typeof cause === "object" && cause !== null && "code" in cause && (cause.code === "ENOENT" || cause.code === "ENOTDIR")

/** `readdir` of a directory that may be missing (an empty list then). */
export const names = (dir: string): Effect.Effect<ReadonlyArray<string>, MaildirReadError> =>
  Effect.tryPromise({
    try: () => Fs.readdir(dir).catch((cause: unknown) => (isMissing(cause) ? [] : Promise.reject(cause))),
    catch: (cause) => new MaildirReadError({ operation: "readdir", path: dir, cause })
  })

/** Whether `dir` is a directory (not following a symbolic link out of the root). */
export const isDirectory = (dir: string): Effect.Effect<boolean> =>
  Effect.promise(() => Fs.lstat(dir).then((s) => s.isDirectory(), () => false))

/**
 * Every message of the Maildir at `dir`, newest first (by the arrival second in the name, then by name). new/ is
 * read before cur/, so a message moved from one to the other meanwhile is seen at least once; a name seen in both
 * counts once.
 */
export const scan = (dir: string): Effect.Effect<ReadonlyArray<Entry>, MaildirReadError> =>
  Effect.gen(function*() {
    const fresh = yield* names(Path.join(dir, "new"))
    const current = yield* names(Path.join(dir, "cur"))
    const byUnique = new Map<string, Entry>()
    for (const file of fresh) {
      if (!Names.isMessageFile(file)) continue
      const unique = Names.uniqueOf(file)
      byUnique.set(unique, { unique, file: `new/${file}`, seen: false, seconds: Names.arrivalSeconds(unique) ?? 0 })
    }
    for (const file of current) {
      if (!Names.isMessageFile(file)) continue
      const unique = Names.uniqueOf(file)
      byUnique.set(unique, { unique, file: `cur/${file}`, seen: Names.flagsOf(file).includes("S"), seconds: Names.arrivalSeconds(unique) ?? 0 })
    }
    return Array.from(byUnique.values()).sort(newestFirst)
  })

/** The order of listings: newest first. */
export const newestFirst = (a: { readonly seconds: number; readonly unique: string }, b: { readonly seconds: number; readonly unique: string }): number =>
  b.seconds - a.seconds || (a.unique < b.unique ? 1 : a.unique > b.unique ? -1 : 0)

/** Where the message `unique` is now, if anywhere. */
export const locate = (dir: string, unique: string): Effect.Effect<Entry | undefined, MaildirReadError> =>
  Effect.gen(function*() {
    const seconds = Names.arrivalSeconds(unique) ?? 0
    const inNew = yield* Effect.promise(() => Fs.lstat(Path.join(dir, "new", unique)).then((s) => s.isFile(), () => false))
    if (inNew) return { unique, file: `new/${unique}`, seen: false, seconds }
    for (const file of yield* names(Path.join(dir, "cur"))) {
      if (Names.uniqueOf(file) === unique && Names.isMessageFile(file)) {
        return { unique, file: `cur/${file}`, seen: Names.flagsOf(file).includes("S"), seconds }
      }
    }
    return undefined
  })

/** A file's size and at most `limit` of its first bytes; `undefined` when it is gone. */
export const readPrefix = (path: string, limit: number): Effect.Effect<{ readonly bytes: Uint8Array; readonly size: number; readonly mtime: Date } | undefined, MaildirReadError> =>
  Effect.tryPromise({
    try: async () => {
      const handle = await Fs.open(path, "r").catch((cause: unknown) => (isMissing(cause) ? undefined : Promise.reject(cause)))
      if (handle === undefined) return undefined
      try {
        const stat = await handle.stat()
        const length = Math.min(stat.size, limit)
        const bytes = Buffer.alloc(length)
        let read = 0
        while (read < length) {
          const { bytesRead } = await handle.read(bytes, read, length - read, read)
          if (bytesRead === 0) break
          read += bytesRead
        }
        return { bytes: bytes.subarray(0, read), size: stat.size, mtime: stat.mtime }
      } finally {
        await handle.close()
      }
    },
    catch: (cause) => new MaildirReadError({ operation: "read", path, cause })
  })

/** Moves a message to cur/ with `flags` (sorted, as Maildir wants); `false` when the source is gone. */
export const setFlags = (dir: string, entry: Entry, flags: string): Effect.Effect<boolean, MaildirReadError> => {
  const target = `cur/${entry.unique}:2,${Array.from(new Set(flags)).sort().join("")}`
  if (target === entry.file) return Effect.succeed(true)
  const from = Path.join(dir, entry.file)
  return Effect.tryPromise({
    try: () => Fs.rename(from, Path.join(dir, target)).then(() => true, (cause: unknown) => (isMissing(cause) ? false : Promise.reject(cause))),
    catch: (cause) => new MaildirReadError({ operation: "rename", path: from, cause })
  })
}

/** Deletes a message's file; `false` when it was already gone. */
export const remove = (dir: string, entry: Entry): Effect.Effect<boolean, MaildirReadError> => {
  const path = Path.join(dir, entry.file)
  return Effect.tryPromise({
    try: () => Fs.unlink(path).then(() => true, (cause: unknown) => (isMissing(cause) ? false : Promise.reject(cause))),
    catch: (cause) => new MaildirReadError({ operation: "unlink", path, cause })
  })
}
