/**
 * Where the reference MTA's config file is: the path in `CARTERO_CONFIG` (relative to the working directory), or
 * `cartero.config.ts` in the working directory when it exists, or none (the app runs on its defaults and the
 * environment alone). `CARTERO_CONFIG=none` says "no file" even where one exists (to leave it out for a run, and
 * for tests, which must not pick up a developer's own file).
 *
 * "The working directory" is the one the operator typed the command in: `INIT_CWD` when the app runs under a
 * package-manager script (`pnpm start` runs in `apps/mta`, but pnpm passes the directory it was invoked from),
 * else the process's own. Kept free of Effect and of every other module: the build script (`scripts/build.mjs`)
 * compiles and imports this file to find the config it bundles, so the app and its build always agree.
 *
 * @since 0.1.0
 */
import { existsSync, statSync } from "node:fs"
import { resolve } from "node:path"

/** The file looked for in the working directory. */
export const fileName = "cartero.config.ts"

/** The outcome of {@link locate}. */
export type Location =
  | { readonly _tag: "Found"; readonly path: string }
  | { readonly _tag: "None" }
  /** `CARTERO_CONFIG` names a file that is not there. */
  | { readonly _tag: "Missing"; readonly path: string }

/** The directory relative paths are read against. */
export const workingDirectory = (env: Readonly<Record<string, string | undefined>>, cwd: string): string => {
  const init = env["INIT_CWD"]
  return init !== undefined && init !== "" ? init : cwd
}

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile()

/** Finds the config file: `explicit` (the value of `CARTERO_CONFIG`, if set) or `cartero.config.ts` in `directory`. */
export const locate = (explicit: string | undefined, directory: string): Location => {
  if (explicit?.trim() === "none") return { _tag: "None" }
  if (explicit !== undefined && explicit.trim() !== "") {
    const path = resolve(directory, explicit.trim())
    return isFile(path) ? { _tag: "Found", path } : { _tag: "Missing", path }
  }
  const path = resolve(directory, fileName)
  return isFile(path) ? { _tag: "Found", path } : { _tag: "None" }
}
