import { Parser, Part } from "../src/index.ts"
const bytes = Buffer.from("Content-Type: message/rfc822\r\n\nContent-Type: message/rfc822\r\n--b\r\n")
const fp = (root: Part.Part) => [...Part.walk(root)].map((p) => [p.contentType.mediaType, p.offset, p.bodyOffset, p.bodyLength, p.body === undefined ? "" : Buffer.from(p.body).toString(), p.defects.map((d) => d.kind + "@" + d.offset)])
console.log(JSON.stringify(fp(Parser.parse(bytes))))
const pp = Parser.make(); for (let i = 0; i < bytes.length; i++) pp.write(bytes.subarray(i, i + 1))
console.log(JSON.stringify(fp(pp.end())))
