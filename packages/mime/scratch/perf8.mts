import * as fs from "node:fs"
import * as path from "node:path"
import { Message } from "../src/index.ts"
const walk = (dir: string): Array<string> => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".md") || e.name.endsWith(".tsv") ? [] : [path.join(dir, e.name)]))
const files = walk("test/corpus").map((f) => fs.readFileSync(f))
for (let k = 0; k < 15; k++) for (const b of files) Message.parse(b)
