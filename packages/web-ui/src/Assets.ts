/**
 * The web UI's files, read once into memory: this package's `static/` directory and the browser builds of its two
 * libraries (Preact and htm) from `node_modules`, each with its content type and a strong ETag.
 *
 * Every asset is served under a versioned base, `/ui/<version>/…`, where the version is a hash of every asset's
 * bytes: assets can then be cached for good (`immutable`), and a new release changes every URL. Only the page
 * itself (`index.html`, served at `/`) is revalidated on each load, and it names the current base.
 *
 * The files are found through Node's resolution of `@cartero/web-ui/package.json` from this module, which works
 * both from the sources (a package resolves its own name through its `exports`) and from a bundle of an app that
 * depends on this package (resolved from the bundle's `node_modules`).
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import { createHash } from "node:crypto"
import * as Fs from "node:fs/promises"
import { createRequire } from "node:module"
import * as Path from "node:path"

/** One file to serve. */
export interface Asset {
  /** Path under the base, without a leading slash: `app.mjs`, `vendor/preact.mjs`. */
  readonly path: string
  readonly body: Uint8Array
  readonly contentType: string
  /** A strong ETag (quoted), from the bytes. */
  readonly etag: string
}

/** Every file of the UI. */
export interface Assets {
  /** Hash of every asset: changes whenever one does. */
  readonly version: string
  /** Where the assets are served: `/ui/<version>`. */
  readonly base: string
  /** The page (served at `/`), with the base filled in. */
  readonly index: Asset
  /** The asset at a path under the base, if there is one. */
  readonly get: (path: string) => Asset | undefined
}

/** The UI's files could not be read (a broken installation). */
export class AssetsError extends Data.TaggedError("AssetsError")<{ readonly message: string }> {}

/** Content types by extension; a file with another extension is not served. */
export const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json"
}

/** The prefix under which versioned assets live. */
export const prefix = "/ui"

/**
 * The libraries' browser modules, served under `vendor/`: the module of the package's `exports` and the bare
 * imports it makes, rewritten to the sibling file (browsers resolve no bare specifiers without an import map, and an
 * import map would be an inline script, which the page's Content-Security-Policy forbids).
 */
const vendor: ReadonlyArray<{
  readonly path: string
  readonly specifier: string
  readonly imports: Readonly<Record<string, string>>
}> = [
  { path: "vendor/preact.mjs", specifier: "preact", imports: {} },
  { path: "vendor/hooks.mjs", specifier: "preact/hooks", imports: { preact: "./preact.mjs" } },
  { path: "vendor/htm.mjs", specifier: "htm", imports: {} }
]

const etagOf = (body: Uint8Array): string => `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`

const asset = (path: string, body: Uint8Array): Asset | undefined => {
  const contentType = contentTypes[Path.extname(path)]
  return contentType === undefined ? undefined : { path, body, contentType, etag: etagOf(body) }
}

/** Rewrites `from"x"` / `from "x"` / `import"x"` of each bare specifier; fails when one is not found. */
export const rewriteImports = (source: string, imports: Readonly<Record<string, string>>): string | undefined => {
  let out = source
  for (const [specifier, target] of Object.entries(imports)) {
    const pattern = new RegExp(`(\\bfrom\\s*|\\bimport\\s*)(["'])${specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\2`, "g")
    if (!pattern.test(out)) return undefined
    out = out.replace(pattern, (_m, keyword: string, quote: string) => `${keyword}${quote}${target}${quote}`)
  }
  return out
}

/** The package's root directory. */
const packageRoot = Effect.try({
  try: () => Path.dirname(createRequire(import.meta.url).resolve("@cartero/web-ui/package.json")),
  catch: (cause) => new AssetsError({ message: `cannot find the @cartero/web-ui package: ${String(cause)}` })
})

/** The browser ES module of a library: the `import` build next to what `require.resolve` finds. */
const vendorFile = (root: string, specifier: string) =>
  Effect.try({
    try: () => {
      const resolved = createRequire(Path.join(root, "package.json")).resolve(specifier)
      // htm resolves to its CommonJS build for require(); its ES module is the `.mjs` beside it.
      return resolved.replace(/\.c?js$/, ".mjs")
    },
    catch: (cause) => new AssetsError({ message: `cannot find ${specifier} for the web UI: ${String(cause)}` })
  })

const read = (file: string) =>
  Effect.tryPromise({
    try: () => Fs.readFile(file),
    catch: (cause) => new AssetsError({ message: `cannot read the web UI's ${file}: ${String(cause)}` })
  })

/** Files under `dir`, as paths relative to it (`/`-separated). */
const listFiles = (dir: string) =>
  Effect.tryPromise({
    try: async () => {
      const entries = await Fs.readdir(dir, { recursive: true, withFileTypes: true })
      return entries
        .filter((e) => e.isFile())
        .map((e) => Path.relative(dir, Path.join(e.parentPath, e.name)).split(Path.sep).join("/"))
        .sort()
    },
    catch: (cause) => new AssetsError({ message: `cannot list the web UI's files in ${dir}: ${String(cause)}` })
  })

/** Reads every asset (a few tens of KiB) and fills the page's base. */
export const load: Effect.Effect<Assets, AssetsError> = Effect.gen(function*() {
  const root = yield* packageRoot
  const staticDir = Path.join(root, "static")
  const files = new Map<string, Asset>()
  let page: Uint8Array | undefined
  for (const path of yield* listFiles(staticDir)) {
    const body = yield* read(Path.join(staticDir, path))
    if (path === "index.html") page = body
    else {
      const a = asset(path, body)
      if (a !== undefined) files.set(path, a)
    }
  }
  for (const v of vendor) {
    const file = yield* vendorFile(root, v.specifier)
    const source = new TextDecoder().decode(yield* read(file))
    // The source map is not shipped: its comment would send browsers' tools after a file we do not serve.
    const rewritten = rewriteImports(source.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n"), v.imports)
    if (rewritten === undefined) {
      return yield* new AssetsError({ message: `${file} does not import ${Object.keys(v.imports).join(", ")} as expected` })
    }
    const a = asset(v.path, new TextEncoder().encode(rewritten))
    if (a !== undefined) files.set(v.path, a)
  }
  if (page === undefined) return yield* new AssetsError({ message: `the web UI has no ${staticDir}/index.html` })
  const hash = createHash("sha256")
  for (const a of files.values()) hash.update(a.path).update(a.body)
  hash.update(page)
  const version = hash.digest("hex").slice(0, 12)
  const base = `${prefix}/${version}`
  const indexBody = new TextEncoder().encode(new TextDecoder().decode(page).replaceAll("{{base}}", base))
  const index: Asset = { path: "index.html", body: indexBody, contentType: contentTypes[".html"] ?? "text/html", etag: etagOf(indexBody) }
  return { version, base, index, get: (path) => files.get(path) }
})
