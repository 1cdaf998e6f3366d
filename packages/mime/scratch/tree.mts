import { Parser, Part } from "../src/index.ts"
import * as fs from "node:fs"
const root = Parser.parse(fs.readFileSync(process.argv[2] ?? ""))
for (const p of Part.walk(root)) console.log(" ".repeat(Math.min(p.depth,40)*2), p.depth, p.contentType.mediaType, p.transferEncoding, p.bodyOffset, p.bodyLength, p.body?.length, Part.filename(p) ?? "", p.defects.map(d=>d.kind).join(","))
