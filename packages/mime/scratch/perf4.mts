import { Builder, Message } from "../src/index.ts"
const big = new Uint8Array(5 * 1024 * 1024)
for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24
const m = Buffer.from(Builder.build({ from: "a@example.com", to: ["b@example.org"], subject: "5 MiB attachment", text: "hi", attachments: [{ content: big, filename: "data.bin" }] }))
for (let k = 0; k < 5; k++) { const t = performance.now(); Message.parse(m); console.log((performance.now() - t).toFixed(1)) }
const t = performance.now(); const s = m.toString("latin1"); const t2 = performance.now(); Buffer.from(s, "base64"); console.log("native", (t2 - t).toFixed(1), (performance.now() - t2).toFixed(1))
