/**
 * A small file system that can be filled to the last byte, for the disk-full scenarios: a real `ENOSPC` wherever
 * the machine allows it.
 *
 * In order of preference:
 *
 * 1. `tmpfs`: `mount -t tmpfs -o size=<n>m` on a fresh temporary directory (needs root or CAP_SYS_ADMIN);
 * 2. `loop`: a sparse file formatted ext4 with no reserved blocks (`truncate`, `mkfs.ext4 -m 0`) and mounted with
 *    `mount -o loop` (root, and a loop device);
 * 3. `simulated`: where neither can be mounted, a plain directory made read-only (`chmod -R a-w`): writes then fail
 *    with `EACCES`, not `ENOSPC`. Labelled as a simulation everywhere it is reported, and impossible as root (root
 *    ignores permissions), where one of the real ones is available anyway.
 *
 * Whatever happens, what was mounted is unmounted (lazily if still busy) and the temporary paths are removed when
 * the scope closes. Filling writes a `filler` file in 64 KiB, then 4 KiB pieces until the file system refuses;
 * freeing deletes it.
 *
 * @since 0.1.0
 */
import { spawnSync } from "node:child_process"
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { Effect, type Scope } from "effect"
import { FaultsError } from "./FaultsError.ts"

export type Kind = "tmpfs" | "loop" | "simulated"

export interface TinyFilesystem {
  readonly kind: Kind
  /** Where it is mounted; the scenario's data directory goes inside. */
  readonly dir: string
  /** How it was made, for the report: `tmpfs 8 MiB (real ENOSPC)`. */
  readonly description: string
  /** Fills it until writes fail; the bytes the filler took. */
  readonly fill: Effect.Effect<number>
  /** Frees what `fill` took. */
  readonly free: Effect.Effect<void>
}

const run = (command: string, args: ReadonlyArray<string>): { readonly ok: boolean; readonly output: string } => {
  const r = spawnSync(command, [...args], { encoding: "utf8", timeout: 60_000 })
  return { ok: r.status === 0, output: `${r.stderr ?? ""}${r.stdout ?? ""}${r.error?.message ?? ""}`.trim() }
}

/** Unmounts `dir`; lazily when it is still busy. */
const unmount = (dir: string): void => {
  if (!run("umount", [dir]).ok) run("umount", ["-l", dir])
}

/** Writes `filler` in `dir` until the file system refuses. Bounded by the file system's size. */
const fillDir = (dir: string, maxBytes: number): number => {
  const fd = openSync(Path.join(dir, "filler"), "a")
  let written = 0
  try {
    for (const size of [64 * 1024, 4 * 1024, 512]) {
      const chunk = Buffer.alloc(size, 0x2e)
      // Bounded: at most the file system's size in pieces of this size.
      for (let i = 0; i <= maxBytes / size; i++) {
        try {
          written += writeSync(fd, chunk)
        } catch {
          break
        }
      }
    }
  } finally {
    try {
      closeSync(fd)
    } catch {
      // Closing a file on a full file system may fail to flush; the filler is deleted by `free` anyway.
    }
  }
  return written
}

/** Makes every directory and file under `dir` read-only (or writable again). */
const setWritable = (dir: string, writable: boolean): void => {
  const walk = (p: string): void => {
    const isDir = statSync(p).isDirectory()
    if (isDir) for (const e of readdirSync(p)) walk(Path.join(p, e))
    chmodSync(p, writable ? (isDir ? 0o700 : 0o600) : (isDir ? 0o500 : 0o400))
  }
  walk(dir)
}

/** A tiny file system of `sizeMiB`, the best kind this machine allows; gone when the scope closes. */
export const make = (sizeMiB: number): Effect.Effect<TinyFilesystem, FaultsError, Scope.Scope> =>
  Effect.gen(function*() {
    const base = yield* Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(Path.join(tmpdir(), "cartero-faults-fs-"))),
      (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
    )
    const dir = Path.join(base, "mnt")
    mkdirSync(dir)
    const maxBytes = sizeMiB * 1024 * 1024
    const real = (kind: Kind, description: string): TinyFilesystem => ({
      kind,
      dir,
      description,
      fill: Effect.sync(() => fillDir(dir, maxBytes)),
      free: Effect.sync(() => rmSync(Path.join(dir, "filler"), { force: true }))
    })
    const attempts: Array<string> = []

    const tmpfs = run("mount", ["-t", "tmpfs", "-o", `size=${sizeMiB}m,mode=0700`, "tmpfs", dir])
    if (tmpfs.ok) {
      yield* Effect.addFinalizer(() => Effect.sync(() => unmount(dir)))
      return real("tmpfs", `tmpfs of ${sizeMiB} MiB (mount -t tmpfs): a real ENOSPC`)
    }
    attempts.push(`tmpfs: ${tmpfs.output}`)

    const image = Path.join(base, "disk.img")
    const truncated = run("truncate", ["-s", `${sizeMiB}M`, image])
    const formatted = truncated.ok ? run("mkfs.ext4", ["-q", "-F", "-m", "0", image]) : truncated
    const loop = formatted.ok ? run("mount", ["-o", "loop", image, dir]) : formatted
    if (loop.ok) {
      yield* Effect.addFinalizer(() => Effect.sync(() => unmount(dir)))
      return real("loop", `ext4 loop file of ${sizeMiB} MiB (mount -o loop): a real ENOSPC`)
    }
    attempts.push(`loop: ${loop.output}`)

    if (process.getuid?.() === 0) {
      return yield* new FaultsError({
        message: `no file system can be filled here (${attempts.join("; ")}), and as root a read-only directory is no simulation`
      })
    }
    yield* Effect.addFinalizer(() => Effect.sync(() => setWritable(dir, true)))
    return {
      kind: "simulated",
      dir,
      description: `SIMULATION: no tmpfs or loop mount allowed (${attempts.join("; ")}); the data directory is made read-only (EACCES, not ENOSPC)`,
      fill: Effect.sync(() => {
        setWritable(dir, false)
        return 0
      }),
      free: Effect.sync(() => setWritable(dir, true))
    }
  })

