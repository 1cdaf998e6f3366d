import * as fs from "node:fs"
import * as path from "node:path"
import { Message } from "../src/index.ts"
const walk = (dir: string): Array<string> => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".md") || e.name.endsWith(".tsv") ? [] : [path.join(dir, e.name)]))
const files = walk("test/corpus").map((f) => [f, fs.readFileSync(f)] as const)
for (let k = 0; k < 3; k++) for (const [, b] of files) Message.parse(b)
const times: Array<[string, number, number]> = []
const t0 = performance.now()
for (const [f, b] of files) { const t = performance.now(); for (let k = 0; k < 3; k++) Message.parse(b); times.push([f, (performance.now() - t) / 3, b.length]) }
console.log("total", ((performance.now() - t0) / 3).toFixed(1))
times.sort((a, b) => b[1] - a[1])
for (const [f, t, n] of times.slice(0, 12)) console.log(t.toFixed(2), (n / t / 1000).toFixed(0), "MB/s", f)
