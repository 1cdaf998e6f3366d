/**
 * Differential test: every corpus message is read by Cartero and by mailparser, and the subject, From/To
 * addresses, text and HTML bodies and attachments (name, size, SHA-256) must agree, or the difference must be
 * explained by test/support/rules.ts (normalisations, rules detected on our tree, or an individual entry).
 */
import { describe, expect, it } from "vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { compare } from "./support/differential.ts"
import { files } from "./support/rules.ts"

const dir = path.join(import.meta.dirname, "corpus")
const rows = fs
  .readFileSync(path.join(dir, "INDEX.tsv"), "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => line.split("\t")[0] ?? "")
  .filter((p) => p !== "" && fs.existsSync(path.join(dir, p)))

describe("corpus differential against mailparser", () => {
  it("has the corpus", () => {
    expect(rows.length).toBeGreaterThan(650)
  })

  it("agrees on every message, or the difference is explained", async () => {
    const unexplained: Array<string> = []
    for (const p of rows) {
      const diffs = await compare(p, fs.readFileSync(path.join(dir, p)))
      for (const d of diffs) unexplained.push(`${p} ${d.field}\n  ours: ${d.ours.slice(0, 200)}\n  them: ${d.them.slice(0, 200)}`)
    }
    expect(unexplained).toEqual([])
  }, 120_000)

  it("lists only individual exceptions that exist in the corpus", () => {
    for (const p of Object.keys(files)) expect(rows).toContain(p)
  })
})
