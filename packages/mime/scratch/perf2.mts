import { Parser } from "../src/index.ts"
const MiB = 1 << 20
const cases: Array<[string, Buffer]> = [
  ["delims", Buffer.from("Content-Type: multipart/mixed; boundary=b\r\n\r\n" + "--b\r\n".repeat(MiB / 5))],
  ["headers", Buffer.from("X: y\r\n".repeat(MiB / 6))],
  ["cont", Buffer.from("X: y\r\n" + " z\r\n".repeat(MiB / 4))],
]
for (const [n, b] of cases) { for (let k = 0; k < 3; k++) { const t = performance.now(); Parser.parse(b); console.log(n, (performance.now() - t).toFixed(0)) } }
