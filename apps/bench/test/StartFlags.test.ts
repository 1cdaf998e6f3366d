import { assert, describe, it } from "@effect/vitest"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import * as ServerProcess from "../src/ServerProcess.ts"

const appBundle = fileURLToPath(new URL("../../mta/dist/main.mjs", import.meta.url))

const treeWithStart = (start: string): string => {
  const dir = mkdtempSync(Path.join(os.tmpdir(), "cartero-startflags-"))
  mkdirSync(Path.join(dir, "dist"))
  writeFileSync(Path.join(dir, "package.json"), JSON.stringify({ scripts: { start } }))
  return dir
}

describe("ServerProcess.startFlags", () => {
  it("runs the app's bundle with the flags of its `pnpm start`", () => {
    // The reference app's own script: the heap flag bounds RSS (docs/benchmarks.md, "Round 3").
    assert.deepStrictEqual(ServerProcess.startFlags(appBundle), ["--enable-source-maps", "--max-semi-space-size=4"])
    assert.deepStrictEqual(ServerProcess.nodeCommand(appBundle, []).args.slice(-3), [
      "--enable-source-maps",
      "--max-semi-space-size=4",
      appBundle
    ])
  })

  it("reads another tree's start script, and falls back to source maps only", () => {
    const dir = treeWithStart("node scripts/build.mjs && node --enable-source-maps --max-old-space-size=512 dist/main.mjs")
    const other = treeWithStart("tsx src/main.ts")
    try {
      assert.deepStrictEqual(ServerProcess.startFlags(Path.join(dir, "dist", "main.mjs")), [
        "--enable-source-maps",
        "--max-old-space-size=512"
      ])
      assert.deepStrictEqual(ServerProcess.startFlags(Path.join(other, "dist", "main.mjs")), ["--enable-source-maps"])
      assert.deepStrictEqual(ServerProcess.startFlags(Path.join(dir, "elsewhere.mjs")), ["--enable-source-maps"])
    } finally {
      rmSync(dir, { recursive: true, force: true })
      rmSync(other, { recursive: true, force: true })
    }
  })
})
