import * as fs from "node:fs"
import { Parser, Part } from "../src/index.ts"
const base = fs.readFileSync("test/corpus/" + (process.argv[2] ?? ""))
const ops: Array<[number, number, number, Uint8Array]> = (JSON.parse(process.argv[3] ?? "[]") as Array<[number, number, number, Array<number>]>).map(([a, b, c, d]) => [a, b, c, Uint8Array.from(d)])
let b = base
for (const [kind, x, y, bytes] of ops) {
  const i = b.length === 0 ? 0 : x % b.length
  const j = Math.min(b.length, i + (y % 200))
  if (kind === 0) b = Buffer.concat([b.subarray(0, i), b.subarray(j)])
  else if (kind === 1) b = Buffer.concat([b.subarray(0, j), b.subarray(i, j), b.subarray(j)])
  else if (kind === 2) b = Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)])
  else b = b.subarray(0, i)
}
const fp = (root: Part.Part) => [...Part.walk(root)].map((p) => JSON.stringify([p.contentType.mediaType, p.offset, p.bodyOffset, p.bodyLength, p.body === undefined ? "" : Buffer.from(p.body).toString("base64"), p.headers.fields.map((f) => f.raw), p.defects.map((d) => d.kind)]))
const w = fp(Parser.parse(b))
const pp = Parser.make(); for (let i = 0; i < b.length; i++) pp.write(b.subarray(i, i + 1))
const c = fp(pp.end())
for (let i = 0; i < Math.max(w.length, c.length); i++) if (w[i] !== c[i]) console.log(i, "\n W", w[i], "\n C", c[i])
fs.writeFileSync("/tmp/repro.eml", b)
