import "./scripts/node20-polyfills.ts"
import { defineConfig } from "vitest/config"

// One run over every workspace package, so CI sees a single closing summary line.
export default defineConfig({
  test: {
    projects: ["packages/*", "plugins/*", "apps/*"],
    reporters: ["default", "./scripts/summary-reporter.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
})
