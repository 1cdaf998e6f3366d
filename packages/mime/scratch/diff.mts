import * as fs from "node:fs"
import { oracle, ours } from "../test/support/oracle.ts"
const dir = "/work/main/packages/mime/test/corpus/"
const rows = fs.readFileSync(dir + "INDEX.tsv", "utf8").trim().split("\n").slice(1).map((l) => l.split("\t")[0] ?? "")
const only = process.argv[2]
const counts: Record<string, number> = {}
const out: string[] = []
for (const path of rows) {
  if (only && !path.includes(only)) continue
  if (!fs.existsSync(dir + path)) continue
  const bytes = fs.readFileSync(dir + path)
  let a, b
  try { a = ours(bytes) } catch (e) { out.push(`${path} OURS THREW ${e}`); continue }
  try { b = await oracle(bytes) } catch (e) { out.push(`${path} ORACLE THREW ${e}`); continue }
  for (const k of Object.keys(a) as Array<keyof typeof a>) {
    const x = JSON.stringify(a[k]) ?? "undef", y = JSON.stringify(b[k]) ?? "undef"
    if (x !== y) { counts[k] = (counts[k] ?? 0) + 1; out.push(`${path} ${k}\n  ours=${x.slice(0, 300)}\n  them=${y.slice(0, 300)}`) }
  }
}
fs.writeFileSync("/tmp/diff.out", out.join("\n"))
console.log(counts)
