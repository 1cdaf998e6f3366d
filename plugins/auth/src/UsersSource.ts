/**
 * Where users come from (a file, inline entries) and loading them into one database when the plugin is built.
 *
 * The file is read once, at build time: a change takes effect at the next restart. Reading it per AUTH would put
 * file I/O and parsing on every login, and a half-written file (an editor saving) would lock everyone out.
 *
 * @since 0.1.0
 */
import { Effect, Result } from "effect"
import * as Fs from "node:fs/promises"
import { AuthConfigError, make, parseFile, parseInline, parseLines, type User, type UserDb } from "./Users.ts"

/** A source of users. */
export type Source =
  /** A users file. `optional`: a missing file counts as empty (the default path when nothing was configured). */
  | { readonly _tag: "File"; readonly path: string; readonly optional: boolean }
  /** Entries in the inline syntax (`user:hash,user2:hash`), named `source` in errors. */
  | { readonly _tag: "Inline"; readonly source: string; readonly text: string }
  /** Entries as separate strings (the in-code option), in the file's line syntax. */
  | { readonly _tag: "Lines"; readonly source: string; readonly lines: ReadonlyArray<string> }

const isMissing = (cause: unknown): boolean =>
  typeof cause === "object" && cause !== null && "code" in cause && cause.code === "ENOENT"

const fromResult = <A>(result: Result.Result<A, AuthConfigError>): Effect.Effect<A, AuthConfigError> =>
  Result.isSuccess(result) ? Effect.succeed(result.success) : Effect.fail(result.failure)

const readFile = Effect.fn("UsersSource.readFile")(function*(path: string, optional: boolean) {
  const text = yield* Effect.tryPromise({
    // A missing optional file reads as undefined; every other problem is a start-up error.
    try: () =>
      Fs.readFile(path, "utf8").then(
        (text): string | undefined => text,
        (cause: unknown) => (optional && isMissing(cause) ? undefined : Promise.reject(cause))
      ),
    catch: (cause) =>
      new AuthConfigError({
        source: path,
        line: undefined,
        detail: `cannot read the users file (${isMissing(cause) ? "no such file" : String(cause)})`
      })
  })
  if (text === undefined) {
    yield* Effect.logWarning("no users file: every AUTH will fail").pipe(Effect.annotateLogs({ path }))
    return []
  }
  // Hashes are not passwords, but a readable file invites offline guessing: say so, do not refuse to start.
  const stat = yield* Effect.promise(() => Fs.stat(path).catch(() => undefined))
  if (stat !== undefined && (stat.mode & 0o077) !== 0) {
    yield* Effect.logWarning("the users file is accessible to group or others; chmod 600 it").pipe(
      Effect.annotateLogs({ path })
    )
  }
  return yield* fromResult(parseFile(text, path))
})

/** Reads every source and builds the database; a user defined twice is an error. */
export const load = Effect.fn("UsersSource.load")(function*(sources: ReadonlyArray<Source>) {
  const users: Array<User> = []
  for (const source of sources) {
    switch (source._tag) {
      case "File":
        users.push(...(yield* readFile(source.path, source.optional)))
        break
      case "Inline":
        users.push(...(yield* fromResult(parseInline(source.text, source.source))))
        break
      case "Lines":
        users.push(...(yield* fromResult(parseLines(source.lines, source.source))))
        break
    }
  }
  const db: UserDb = yield* fromResult(make(users))
  yield* Effect.logDebug("users loaded").pipe(Effect.annotateLogs({ users: db.size }))
  return db
})
