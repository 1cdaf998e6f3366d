import { Base64 } from "../src/index.ts"
const big = new Uint8Array(5 * 1024 * 1024)
for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24
const enc = Buffer.from(Base64.encode(big))
const table = new Int8Array(256).fill(-1)
for (let i = 0; i < 64; i++) table["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i
const time = (name: string, f: () => unknown) => { for (let k = 0; k < 3; k++) f(); const t = performance.now(); let r; for (let k = 0; k < 10; k++) r = f(); console.log(name, ((performance.now() - t) / 10).toFixed(1), "ms", r) }
const loop1 = (input: Uint8Array) => { let v = 0; for (let i = 0; i < input.length; i++) { const c = input[i] ?? 0; if ((table[c] ?? -1) >= 0) v++ } return v }
const loop2 = (input: Uint8Array) => { let v = 0; const n = input.length; for (let i = 0; i < n; i++) { v += (table[input[i] as number] as number) >>> 31 } return n - v }
const u8 = new Uint8Array(enc.buffer, enc.byteOffset, enc.length)
const rx = (s: string) => /[^A-Za-z0-9+/\r\n]/.test(s)
const s = enc.toString("latin1")
time("loop1 buffer", () => loop1(enc))
time("loop1 u8", () => loop1(u8))
time("loop2 u8", () => loop2(u8))
time("regex", () => rx(s))
time("latin1", () => enc.toString("latin1").length)
time("split", () => s.split("\n").length)
time("indexOf count", () => { let n = 0; for (let i = enc.indexOf(10); i >= 0; i = enc.indexOf(10, i + 1)) n++; return n })
