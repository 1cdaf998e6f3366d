import "./scripts/node20-polyfills.ts"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { defineConfig } from "vitest/config"

// Every workspace package is a project of one run, so CI sees a single closing summary line. Projects are listed
// inline with `extends: true` so they inherit the timeouts below (a glob would give each project vitest's 5 s
// defaults, too short for tests that spawn processes on a loaded 2-core machine).
const packages = ["packages", "plugins", "apps"].flatMap((group) =>
  readdirSync(group, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(group, d.name, "package.json")))
    .map((d) => join(group, d.name))
)

const nameOf = (dir: string): string => (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string }).name

export default defineConfig({
  test: {
    projects: packages.map((dir) => ({
      extends: true,
      root: dir,
      test: { name: nameOf(dir), include: ["test/**/*.test.ts"] }
    })),
    reporters: ["default", "./scripts/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
