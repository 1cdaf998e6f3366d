import { Effect } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"

/** A fresh temporary directory, removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "cartero-mta-"))),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
)

/** Every file (not directory) under `dir`, relative, sorted. */
export const listFiles = (dir: string): Effect.Effect<Array<string>> =>
  Effect.promise(async () => {
    const entries = await Fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
    return entries
      .filter((e) => e.isFile())
      .map((e) => Path.relative(dir, Path.join(e.parentPath, e.name)))
      .sort()
  })
