import * as fs from "node:fs"
import { simpleParser } from "mailparser"
import { Message } from "../src/index.ts"
const b = fs.readFileSync(process.argv[2] ?? "")
const m = Message.parse(b)
const t = await simpleParser(b, { skipHtmlToText: true, skipTextToHtml: true })
for (const a of m.attachments) console.log("ours", a.filename, a.contentType, a.content.length, JSON.stringify(Buffer.from(a.content.subarray(0, 30)).toString("latin1")), JSON.stringify(Buffer.from(a.content.subarray(-30)).toString("latin1")))
for (const a of t.attachments) console.log("them", a.filename, a.contentType, a.content.length, JSON.stringify(a.content.subarray(0, 30).toString("latin1")), JSON.stringify(a.content.subarray(-30).toString("latin1")))
