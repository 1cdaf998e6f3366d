// Type-checks a config file that may live anywhere (a temporary directory, /etc/cartero): the compiler resolves
// bare imports only from the importing file's directory upwards, so the packages the app can give the config are
// mapped with `paths`, one entry per export of each package (from its `exports`, else its `types`/`main`), the
// way esbuild's `nodePaths` finds them for the bundle.
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The first string target of an `exports` value, preferring types. */
const target = (value) => {
  if (typeof value === "string") return value
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined
  for (const key of ["types", "import", "default", "node"]) {
    const found = target(value[key])
    if (found !== undefined) return found
  }
  return undefined
}

/** A compiled `.js`/`.mjs`/`.cjs` file's declarations next to it, when there are (the compiler wants those). */
const declarations = (file) => {
  const match = /\.(m|c)?js$/.exec(file)
  if (match === null) return file
  const candidate = `${file.slice(0, -match[0].length)}.d.${match[1] ?? ""}ts`
  return existsSync(candidate) ? candidate : file
}

/** `paths` entries for one package directory. */
const entriesOf = (name, dir) => {
  const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"))
  const out = {}
  if (manifest.exports !== undefined && typeof manifest.exports === "object" && !Array.isArray(manifest.exports)) {
    const keyed = Object.keys(manifest.exports).some((k) => k.startsWith("."))
    const exports = keyed ? manifest.exports : { ".": manifest.exports }
    for (const [key, value] of Object.entries(exports)) {
      const file = target(value)
      if (!key.startsWith(".") || file === undefined || key === "./package.json") continue
      out[key === "." ? name : `${name}/${key.slice(2)}`] = [file.includes("*") ? join(dir, file.replace(/\.(m|c)?js$/, ".d.$1ts")) : declarations(join(dir, file))]
    }
  } else {
    const main = manifest.types ?? manifest.typings ?? manifest.main
    if (main !== undefined) out[name] = [declarations(join(dir, main))]
    out[`${name}/*`] = [join(dir, "*")]
  }
  return out
}

/** `paths` for every package installed in `nodeModules` directories (earlier directories win). */
export const pathsFor = (nodeModules) => {
  const paths = {}
  for (const root of [...nodeModules].reverse()) {
    if (!existsSync(root)) continue
    for (const entry of readdirSync(root)) {
      if (entry.startsWith(".")) continue
      const names = entry.startsWith("@") ? readdirSync(join(root, entry)).map((n) => `${entry}/${n}`) : [entry]
      for (const name of names) {
        const dir = join(root, name)
        if (!existsSync(join(dir, "package.json"))) continue
        Object.assign(paths, entriesOf(name, realpathSync(dir)))
      }
    }
  }
  // A package without declarations of its own (better-sqlite3) takes those of its `@types` package: mapped to its
  // JavaScript, the compiler would not look for them (TS7016), as soon as a config imports a package that uses it.
  for (const [key, targets] of Object.entries(paths)) {
    if (!key.startsWith("@types/") || key.endsWith("/*")) continue
    const typed = key.slice("@types/".length).replace(/^(.+)__(.+)$/, "@$1/$2")
    const own = paths[typed]?.[0]
    if (own !== undefined && !/\.(m|c)?ts$/.test(own)) paths[typed] = targets
  }
  return paths
}

/**
 * Runs the compiler on `file` with the repository's settings; returns `undefined` when it type-checks, else the
 * compiler's messages.
 */
export const typecheck = (file, { repoRoot, nodeModules }) => {
  const dir = mkdtempSync(join(tmpdir(), "cartero-config-check-"))
  try {
    const tsconfig = join(dir, "tsconfig.json")
    writeFileSync(tsconfig, JSON.stringify({
      extends: join(repoRoot, "tsconfig.base.json"),
      compilerOptions: {
        // Compiled the way esbuild bundles it: ES modules, bare imports resolved from the app.
        module: "preserve",
        moduleResolution: "bundler",
        noUnusedLocals: false,
        noUnusedParameters: false,
        paths: pathsFor(nodeModules),
        typeRoots: [join(repoRoot, "node_modules", "@types")]
      },
      files: [file]
    }))
    const tsc = spawnSync(join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", tsconfig], { encoding: "utf8", timeout: 120_000 })
    return tsc.status === 0 ? undefined : (tsc.stdout + tsc.stderr).trim() || `tsc exited with ${tsc.status}`
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
