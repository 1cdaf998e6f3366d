import { Base64, Builder, Message, Parser } from "../src/index.ts"
const big = new Uint8Array(5 * 1024 * 1024)
for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24
const enc = Buffer.from(Base64.encode(big))
const m = Buffer.from(Builder.build({ from: "a@example.com", to: ["b@example.org"], subject: "5 MiB attachment", text: "hi", attachments: [{ content: big, filename: "data.bin" }] }))
const time = (name: string, f: () => unknown) => { for (let k = 0; k < 3; k++) f(); const t = performance.now(); for (let k = 0; k < 10; k++) f(); console.log(name, ((performance.now() - t) / 10).toFixed(1), "ms") }
time("Base64.decode", () => Base64.decode(enc))
time("native", () => Buffer.from(enc.toString("latin1"), "base64"))
time("native direct", () => Buffer.from(enc.toString(), "base64"))
time("structure", () => Parser.parseStructure(m))
time("parse", () => Parser.parse(m))
time("Message.parse", () => Message.parse(m))
