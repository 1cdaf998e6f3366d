// Lint-like checks that TypeScript does not make: no escape hatches from the type system, no focused or
// skipped tests, no unfinished-work markers. Prints each hit and exits 1 when there is one.
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"

const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "*.ts", "*.mts"], { encoding: "utf8" })
  .split("\n")
  .filter((f) => f !== "" && !f.includes("node_modules/") && !f.includes("/test/corpus/"))

const rules = [
  [/(?<![\w.])as any\b|:\s*any\b|<any>/, "no `any`"],
  [/@ts-ignore|@ts-expect-error|@ts-nocheck/, "no TypeScript suppressions"],
  [/\b(?:it|describe|test)\.only\(/, "no focused tests"],
  [/\b(?:it|describe|test)\.skip\(|\bit\.todo\(/, "no skipped tests (use a loud skipIf with a reason)"],
  [/\bTODO\b|\bFIXME\b|\bXXX\b/, "no unfinished-work markers"],
  [/[\w)\]]!\.(?=\w)|[\w)\]]!(?=[;,)\]])/, "no non-null assertions"]
]

let hits = 0
for (const file of files) {
  let text
  try {
    text = readFileSync(file, "utf8")
  } catch {
    continue
  }
  const lines = text.split("\n")
  lines.forEach((line, i) => {
    const trimmed = line.trim()
    const isComment = trimmed.startsWith("*") || trimmed.startsWith("/*") || trimmed.startsWith("//")
    const code = isComment ? "" : line.replace(/\/\/.*$/, "").replace(/(["'`])(?:\\.|(?!\1).)*\1/g, "\"\"")
    for (const [pattern, message] of rules) {
      const subject = message.startsWith("no unfinished") ? line : code
      if (pattern.test(subject)) {
        hits++
        console.log(`${file}:${i + 1}: ${message}: ${line.trim()}`)
      }
    }
  })
}
if (hits > 0) {
  console.log(`lint: ${hits} problem(s)`)
  process.exit(1)
}
console.log(`lint: ${files.length} files clean`)
