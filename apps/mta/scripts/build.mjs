// `pnpm build` (apps/mta): bundles the app's entry points into dist/ as ESM for Node 20, with source maps, so that
// production runs compiled JavaScript (`node --enable-source-maps dist/main.mjs`) instead of transpiling every
// module with tsx at start-up (≈ 60–70 MiB of RSS and the start-up CPU; docs/decisions/app-bundle.md).
// The workspace packages still export their TypeScript sources (docs/decisions/source-exports-no-build.md): only
// the app is bundled, for running it.
import * as esbuild from "esbuild"
import { readFileSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { trim } from "./trimSourceMap.mjs"

const appDir = dirname(dirname(fileURLToPath(import.meta.url)))
// `--outdir DIR` (tests build into a directory of their own); it must stay under apps/mta, where the external
// packages resolve.
const outdirArg = process.argv.indexOf("--outdir")
const outdir = outdirArg >= 0 && process.argv[outdirArg + 1] !== undefined
  ? resolve(appDir, process.argv[outdirArg + 1])
  : join(appDir, "dist")

// Native addons cannot be bundled: they load a compiled .node file next to their package. They are resolved at run
// time from apps/mta/node_modules, hence dependencies of this package. Everything else (effect, smtp-server,
// ioredis, dns2, the @cartero packages) bundles.
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

const started = Date.now()
rmSync(outdir, { recursive: true, force: true })
await esbuild.build({
  absWorkingDir: appDir,
  entryPoints: { main: "src/main.ts", cli: "src/cli.ts" },
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  sourcesContent: false,
  external,
  banner: { js: banner },
  legalComments: "none",
  logLevel: "warning"
})
for (const entry of ["main", "cli"]) {
  const file = join(outdir, `${entry}.mjs.map`)
  const map = JSON.parse(readFileSync(file, "utf8"))
  writeFileSync(file, JSON.stringify(trim(map, (source) => source.includes("node_modules/"))))
}
process.stderr.write(`cartero: built ${outdir}/main.mjs, cli.mjs in ${Date.now() - started} ms\n`)
