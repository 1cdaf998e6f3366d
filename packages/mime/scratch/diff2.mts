import * as fs from "node:fs"
import { compare } from "../test/support/differential.ts"
const dir = "test/corpus/"
const rows = fs.readFileSync(dir + "INDEX.tsv", "utf8").trim().split("\n").slice(1).map((l) => l.split("\t")[0] ?? "")
const out: string[] = []
const counts: Record<string, number> = {}
for (const path of rows) {
  if (!fs.existsSync(dir + path)) continue
  for (const d of await compare(path, fs.readFileSync(dir + path))) { counts[d.field] = (counts[d.field] ?? 0) + 1; out.push(`${path} ${d.field}\n  ours=${d.ours.slice(0, 400)}\n  them=${d.them.slice(0, 400)}`) }
}
fs.writeFileSync("/tmp/diff2.out", out.join("\n"))
console.log(counts)
