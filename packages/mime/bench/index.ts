/**
 * Throughput of @cartero/mime against mailparser, in one process, on the corpus and on generated messages.
 *
 * Run: `pnpm --filter @cartero/mime bench` (optionally `-- --seconds 2` per measurement).
 *
 * - "cartero full": Message.parse (tree, decoded bodies, text/HTML decoded to strings, attachments);
 * - "mailparser": simpleParser with its HTML/text conversions switched off (the cheapest full parse it offers);
 * - "cartero structure": Parser.parseStructure (headers, part boundaries and sizes; no body decoding);
 * - "indexOf scan": a plain Buffer.indexOf loop over the same bytes visiting every "\n--" (each delimiter line
 *   and any other line starting with "--"), the floor for any boundary search; the report checks that it meets
 *   at least as many as the delimiter lines the parser found;
 * - "line scan": a Buffer.indexOf loop visiting every line break, the floor for a line-oriented reader.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { simpleParser } from "mailparser"
import { Builder, Message, Parser, Part } from "../src/index.ts"

const argSeconds = process.argv.indexOf("--seconds")
const seconds = argSeconds >= 0 ? Number(process.argv[argSeconds + 1] ?? 1) : 1

const corpusDir = path.join(import.meta.dirname, "..", "test", "corpus")
const walk = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".md") || e.name.endsWith(".tsv") ? [] : [path.join(dir, e.name)]))
const corpus = walk(corpusDir).map((f) => fs.readFileSync(f))

const date = new Date("2026-11-26T05:25:07Z")
const lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. "
const text1k = Buffer.from(Builder.build({ from: "a@example.com", to: ["b@example.org"], subject: "1 KiB text", date, text: lorem.repeat(8) }))
const html100k = Buffer.from(
  Builder.build({ from: "a@example.com", to: ["b@example.org"], subject: "100 KiB HTML", date, text: lorem.repeat(40), html: `<html><body>${`<p>${lorem}</p>\n`.repeat(800)}</body></html>` })
)
const big = new Uint8Array(5 * 1024 * 1024)
for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24
const attach5m = Buffer.from(
  Builder.build({ from: "a@example.com", to: ["b@example.org"], subject: "5 MiB attachment", date, text: lorem, attachments: [{ content: big, filename: "data.bin" }] })
)

interface Result {
  readonly mbs: number
  readonly msgs: number
}

const once = async (messages: ReadonlyArray<Buffer>, run: (b: Buffer) => unknown, budget: number): Promise<Result> => {
  const bytes = messages.reduce((n, m) => n + m.length, 0)
  let rounds = 0
  const start = process.hrtime.bigint()
  let elapsed = 0
  do {
    for (const m of messages) {
      // Only mailparser returns a promise. Awaiting a plain value would add a microtask turn (~0.1-0.3 µs) to every
      // call of the synchronous contenders, a floor that hides most of the gap on a 1 KiB message.
      const r = run(m)
      if (r instanceof Promise) await r
    }
    rounds++
    elapsed = Number(process.hrtime.bigint() - start) / 1e9
  } while (elapsed < budget)
  return { mbs: (bytes * rounds) / elapsed / 1e6, msgs: (messages.length * rounds) / elapsed }
}

const median = (xs: ReadonlyArray<number>): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

/**
 * Measures several contenders in interleaved rounds and keeps each one's median, so that load from other processes
 * on a shared machine hits all of them alike.
 */
const compare = async (messages: ReadonlyArray<Buffer>, runs: ReadonlyArray<(b: Buffer) => unknown>, rounds = 5): Promise<Array<Result>> => {
  // Warm up the JIT on every message once.
  for (const run of runs) {
    for (const m of messages) {
      const r = run(m)
      if (r instanceof Promise) await r
    }
  }
  const samples: Array<Array<Result>> = runs.map(() => [])
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of runs.entries()) samples[i]?.push(await once(messages, run, seconds / rounds))
  }
  return samples.map((xs) => ({ mbs: median(xs.map((x) => x.mbs)), msgs: median(xs.map((x) => x.msgs)) }))
}

const measure = async (messages: ReadonlyArray<Buffer>, run: (b: Buffer) => unknown): Promise<Result> => (await compare(messages, [run], 1))[0] ?? { mbs: 0, msgs: 0 }

const nlDashDash = Buffer.from("\n--")
const scan = (b: Buffer): number => {
  let hits = 0
  for (let i = b.indexOf(nlDashDash); i >= 0; i = b.indexOf(nlDashDash, i + 1)) hits++
  return hits
}

/** Delimiter lines the parser found: per multipart, one per part plus the closing one when it was seen. */
const delimiters = (b: Buffer): number => {
  let n = 0
  for (const p of Part.walk(Parser.parseStructure(b))) {
    if (p.contentType.type === "multipart" && p.parts.length > 0) n += p.parts.length + (p.defects.some((d) => d.kind === "MissingFinalBoundary") ? 0 : 1)
  }
  return n
}

const lines = (b: Buffer): number => {
  let n = 0
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) n++
  return n
}

const mailparser = (b: Buffer) => simpleParser(b, { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true })

const sets: ReadonlyArray<readonly [string, ReadonlyArray<Buffer>]> = [
  [`corpus (${corpus.length} messages, ${(corpus.reduce((n, m) => n + m.length, 0) / 1048576).toFixed(1)} MiB)`, corpus],
  ["1 KiB text", [text1k]],
  ["100 KiB HTML", [html100k]],
  ["5 MiB base64 attachment", [attach5m]]
]

const fmt = (r: Result) => `${r.mbs.toFixed(1).padStart(8)} MB/s ${r.msgs.toFixed(0).padStart(8)} msg/s`
console.log(`node ${process.version}, ${seconds}s per contender and data set, in 5 interleaved rounds (medians)\n`)
for (const [name, messages] of sets) {
  const zero = { mbs: 0, msgs: 0 }
  const [full = zero, mp = zero, structure = zero, baseline = zero, lineScan = zero] = await compare(messages, [
    (b) => Message.parse(b),
    mailparser,
    (b) => Parser.parseStructure(b),
    scan,
    lines
  ])
  // The baseline must do the search the parser does, on the same bytes: every delimiter line starts right after a
  // "\n" (a delimiter at the very start of a body follows the header block's empty line), so the scan meets each.
  const found = messages.reduce((n, m) => n + delimiters(m), 0)
  const hits = messages.reduce((n, m) => n + scan(m), 0)
  console.log(`[${name}]`)
  console.log(`  delimiter lines: ${found} found by the parser, ${hits} "\\n--" hits by the indexOf scan`)
  console.log(`  cartero full       ${fmt(full)}`)
  console.log(`  mailparser         ${fmt(mp)}`)
  console.log(`  cartero structure  ${fmt(structure)}`)
  console.log(`  indexOf scan       ${fmt(baseline)}`)
  console.log(`  line scan          ${fmt(lineScan)}`)
  console.log(
    `  full vs mailparser: ${(full.mbs / mp.mbs).toFixed(1)}x faster; structure vs indexOf scan: ${(baseline.mbs / structure.mbs).toFixed(2)}x slower; vs line scan: ${(lineScan.mbs / structure.mbs).toFixed(2)}x\n`
  )
}

// Linearity: parse time per byte should not grow with size. Ratios near 1 are linear; 8 would be quadratic.
const scaling: ReadonlyArray<readonly [string, (n: number) => Buffer]> = [
  ["near-boundary lines", (n) => Buffer.from("Content-Type: multipart/mixed; boundary=" + "b".repeat(60) + "\r\n\r\n" + ("--" + "b".repeat(59) + "\r\n").repeat(n / 64))],
  ["sibling parts", (n) => Buffer.from("Content-Type: multipart/mixed; boundary=b\r\n\r\n" + "--b\r\n\r\nx\r\n".repeat(n / 12))],
  ["header lines", (n) => Buffer.from("X: y\r\n".repeat(n / 6))],
  ["one long header line", (n) => Buffer.from("Subject: " + "a".repeat(n))]
]
console.log("[linearity: time per byte at 8n / at n; ~1 means linear]")
for (const [name, make] of scaling) {
  const small = make(128 * 1024)
  const large = make(8 * 128 * 1024)
  const a = await measure([small], (b) => Parser.parse(b))
  const b = await measure([large], (x) => Parser.parse(x))
  console.log(`  ${name.padEnd(22)} ${(a.mbs / b.mbs).toFixed(2)}`)
}
