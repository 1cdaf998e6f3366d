// `pnpm build` (apps/mta): bundles the app's entry points into dist/ as ESM for Node 20, with source maps, so that
// production runs compiled JavaScript (`node --enable-source-maps dist/main.mjs`) instead of transpiling every
// module with tsx at start-up (≈ 60–70 MiB of RSS and the start-up CPU; docs/decisions/app-bundle.md).
// The workspace packages still export their TypeScript sources (docs/decisions/source-exports-no-build.md): only
// the app is bundled, for running it.
//
// Concurrent builds are safe (two `pnpm start` close together): nothing is deleted, and each output file is
// written beside its target and renamed over it, so a process starting meanwhile reads the previous complete
// file or the new one, never a missing or half-written one.
//
// A config file (`cartero.config.ts` in the working directory, or `CARTERO_CONFIG`; src/ConfigPath.ts decides, for
// the build and the app alike) is type-checked and compiled into the bundle (src/BuildInfo.ts says why): a type
// error stops the build with the compiler's messages.
import * as esbuild from "esbuild"
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { typecheck } from "./configTypecheck.mjs"
import { trim } from "./trimSourceMap.mjs"

const appDir = dirname(dirname(fileURLToPath(import.meta.url)))
const repoRoot = resolve(appDir, "..", "..")
// `--outdir DIR` (tests build into a directory of their own); it must stay under apps/mta, where the external
// packages resolve.
const outdirArg = process.argv.indexOf("--outdir")
const outdir = outdirArg >= 0 && process.argv[outdirArg + 1] !== undefined
  ? resolve(appDir, process.argv[outdirArg + 1])
  : join(appDir, "dist")

const fail = (text) => {
  process.stderr.write(`cartero: ${text}\n`)
  process.exit(1)
}

// Native addons cannot be bundled: they load a compiled .node file next to their package. They are resolved at run
// time from apps/mta/node_modules, hence dependencies of this package. Everything else (effect, smtp-server,
// ioredis, dns2, the @cartero packages, the config's plugins) bundles.
const external = ["better-sqlite3"]

// The CommonJS packages in the bundle (smtp-server, ioredis …) call require() for Node built-ins and use
// __dirname; an ESM bundle has neither, so the banner defines them.
const banner = [
  `import { createRequire as __cjsCreateRequire } from "node:module";`,
  `import { fileURLToPath as __cjsFileURLToPath } from "node:url";`,
  `import { dirname as __cjsDirname } from "node:path";`,
  `const require = __cjsCreateRequire(import.meta.url);`,
  `const __filename = __cjsFileURLToPath(import.meta.url);`,
  `const __dirname = __cjsDirname(__filename);`
].join(" ")

/** src/ConfigPath.ts, compiled and imported: the one definition of where the config file is. */
const configPath = async () => {
  const built = await esbuild.build({
    absWorkingDir: appDir,
    entryPoints: ["src/ConfigPath.ts"],
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "silent"
  })
  const code = built.outputFiles[0]?.text ?? ""
  return import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)
}

// Bare imports of a config outside the workspace (a temporary directory, /etc/cartero) resolve from here.
const nodePaths = [join(appDir, "node_modules"), join(repoRoot, "node_modules")]

const started = Date.now()
const { locate, workingDirectory } = await configPath()
const where = locate(process.env.CARTERO_CONFIG, workingDirectory(process.env, process.cwd()))
if (where._tag === "Missing") fail(`CARTERO_CONFIG: expected the path of an existing file, got "${process.env.CARTERO_CONFIG}"`)
const config = where._tag === "Found" ? where.path : undefined
if (config !== undefined) {
  const errors = typecheck(config, { repoRoot, nodeModules: nodePaths })
  if (errors !== undefined) fail(`${config} does not type-check:\n${errors}`)
}

/** Replaces src/BuildInfo.ts: this is a bundle, with the config file compiled in (or none). */
const buildInfo = {
  name: "cartero-build-info",
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/]BuildInfo\.ts$/ }, () => ({
      loader: "ts",
      resolveDir: appDir,
      contents: config === undefined
        ? `export const bundle = { config: undefined }\n`
        : [
          `import * as module from ${JSON.stringify(config)}`,
          `export const bundle = { config: { path: ${JSON.stringify(config)}, sha256: ${
            JSON.stringify(createHash("sha256").update(readFileSync(config)).digest("hex"))
          }, module } }`
        ].join("\n")
    }))
  }
}

const common = {
  absWorkingDir: appDir,
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  sourcesContent: false,
  external,
  nodePaths,
  plugins: [buildInfo],
  banner: { js: banner },
  legalComments: "none",
  logLevel: "error",
  write: false
}
let outputs
try {
  // The server with code splitting: what it imports dynamically (the HTTP API, only when CARTERO_HTTP_PORT is set)
  // goes into chunks of its own, loaded when needed; without splitting, esbuild would wrap every module that
  // code shares with the rest in a lazy initialiser, which cost RSS under load (docs/decisions/http-api-on-effect.md).
  // The CLI stays one file.
  const server = await esbuild.build({ ...common, entryPoints: { main: "src/main.ts" }, splitting: true, chunkNames: "chunks/[name]-[hash]" })
  const cli = await esbuild.build({ ...common, entryPoints: { cli: "src/cli.ts" } })
  outputs = [...server.outputFiles, ...cli.outputFiles]
} catch {
  fail(`the build failed${config === undefined ? "" : ` (with ${config})`}; esbuild's messages are above`)
}
// Every file is written beside its target and renamed over it, and dist/ is never emptied: a start that builds
// while another one runs (or starts) never sees a missing or half-written main.mjs. Chunks are named by their
// hash, so a new build adds its own next to the ones a running server may still load.
for (const file of outputs) {
  mkdirSync(dirname(file.path), { recursive: true })
  // The source maps lose the dependencies' entries (trimSourceMap.mjs says why).
  const contents = file.path.endsWith(".map")
    ? JSON.stringify(trim(JSON.parse(file.text), (source) => source.includes("node_modules/")))
    : file.contents
  const staging = `${file.path}.${process.pid}.tmp`
  try {
    writeFileSync(staging, contents)
    renameSync(staging, file.path)
  } catch (error) {
    rmSync(staging, { force: true })
    fail(`cannot write ${file.path}: ${error instanceof Error ? error.message : String(error)}`)
  }
}
process.stderr.write(`cartero: built ${outdir}/main.mjs, cli.mjs${config === undefined ? "" : ` with ${config}`} in ${Date.now() - started} ms\n`)
