import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"

const packageDir = join(import.meta.dirname, "..")
const tsc = join(packageDir, "..", "..", "node_modules", ".bin", "tsc")

/** Type-checks `source` as a module next to the package's sources; returns the compiler's output and status. */
const typecheck = (source: string): { status: number | null; output: string } => {
  const dir = mkdtempSync(join(packageDir, ".typecheck-"))
  try {
    writeFileSync(join(dir, "plugin.ts"), source)
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ extends: "../../../tsconfig.base.json", include: ["plugin.ts"] }))
    const run = spawnSync(tsc, ["-p", join(dir, "tsconfig.json")], { encoding: "utf8", timeout: 60_000 })
    return { status: run.status, output: run.stdout + run.stderr }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const header = `import { Effect } from "effect"
import { Verdict } from "@cartero/smtp"
import { Plugin } from "../src/index.ts"
`

describe("exact hook records", () => {
  it("a misspelled hook next to a real one is a type error naming it", () => {
    const result = typecheck(`${header}
export const plugin = Plugin.make("typo", Effect.succeed({
  data: (_txn) => Effect.succeed(Verdict.next),
  rcpTo: () => Effect.succeed(Verdict.next)
}))
`)
    assert.notStrictEqual(result.status, 0)
    assert.include(result.output, `"unknown hook": "rcpTo"`)
  })

  it("a hooks record with only a misspelled hook is a type error", () => {
    const result = typecheck(`${header}
export const plugin = Plugin.make("typo", Effect.succeed({ rcpTo: () => Effect.succeed(Verdict.next) }))
`)
    assert.notStrictEqual(result.status, 0)
    assert.include(result.output, "plugin.ts(")
  })

  it("the same plugin spelled right compiles, with its hooks' parameters typed from the phase", () => {
    const result = typecheck(`${header}
export const plugin = Plugin.make("ok", Effect.gen(function*() {
  yield* Effect.void
  return {
    data: (txn) => Effect.succeed(txn.recipients.length > 100 ? Verdict.reject("5.5.3", "Too many recipients") : Verdict.next),
    rcptTo: (_txn, rcpt) => Effect.succeed(rcpt.address.domain === "example.test" ? Verdict.accept() : Verdict.next)
  }
}))
`)
    assert.strictEqual(result.output, "")
    assert.strictEqual(result.status, 0)
  })
})
