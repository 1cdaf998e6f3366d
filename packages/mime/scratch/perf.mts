import { Headers } from "../src/index.ts"
const MiB = 1 << 20
let t = Date.now()
const h = Headers.parse(Buffer.from("X: y\r\n".repeat(100_000) + "\r\n" + "a".repeat(MiB)))
console.log("parse", h.fields.length, Date.now() - t); t = Date.now()
for (const value of ["a" + " ".repeat(MiB / 16) + "b", "x".repeat(MiB / 16), "é".repeat(MiB / 32)]) {
  Headers.fold("X-Big", value); console.log("fold", value.length, Date.now() - t); t = Date.now()
}
