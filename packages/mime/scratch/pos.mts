import * as fs from "node:fs"
import { oracle, ours } from "../test/support/oracle.ts"
const f = process.argv[2] ?? ""; const field = (process.argv[3] ?? "text") as "text"
const b = fs.readFileSync(f)
const x = String(ours(b)[field]); const y = String((await oracle(b))[field])
let i = 0; while (i < x.length && x[i] === y[i]) i++
console.log(x.length, y.length, i, JSON.stringify(x.slice(i - 40, i + 60)), "\n", JSON.stringify(y.slice(i - 40, i + 60)))
