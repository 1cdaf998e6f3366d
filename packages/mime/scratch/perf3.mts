import { Parser } from "../src/index.ts"
const MiB = 1 << 20
const b = Buffer.from("Content-Type: multipart/mixed; boundary=b\r\n\r\n" + "--b\r\n".repeat(MiB / 5))
for (let k = 0; k < 3; k++) Parser.parse(b)
