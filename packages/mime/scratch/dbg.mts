import { Parser, Part } from "../src/index.ts"
const crlf = (l: string[]) => l.join("\r\n")
const root = Parser.parse(crlf(["Content-Type: multipart/mixed; boundary=o", "", "--o", "Content-Type: multipart/mixed; boundary=i", "", "--i", "", "a", "--o", "", "b", "--o--"]))
for (const p of Part.walk(root)) console.log(p.depth, p.contentType.mediaType, p.defects)
