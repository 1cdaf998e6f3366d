/**
 * Temporary directories for tests that touch the file system (Maildir, SQLite, the app's data directory).
 *
 * @since 0.1.0
 */
import { Effect, type Scope } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"

/** A fresh temporary directory, removed with everything in it when the scope closes. */
export const make = (prefix = "cartero-"): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), prefix))),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  )

/** Every file (not directory) under `dir`, as paths relative to it, sorted; empty when `dir` does not exist. */
export const listFiles = (dir: string): Effect.Effect<Array<string>> =>
  Effect.promise(async () => {
    const entries = await Fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
    return entries
      .filter((e) => e.isFile())
      .map((e) => Path.relative(dir, Path.join(e.parentPath, e.name)))
      .sort()
  })
