/**
 * The fuzzer's inputs: corpus messages put through seeded mutations, among them the shapes that once made the
 * parser quadratic (a megabyte of `(` after Content-Transfer-Encoding or Date, soft line breaks in a flowed body,
 * thousands of encoded words each naming another charset) and the ones a hostile sender reaches for first (bit
 * flips, truncation, duplicated boundaries, megabyte header lines, 10,000-deep nesting, splices of other messages).
 *
 * Message `i` of seed `s` depends on nothing else: it can be made again alone (`--index`), on any machine.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"

/** A corpus message. */
export interface Entry {
  readonly path: string
  readonly bytes: Buffer
}

/** The corpus of `packages/mime/test/corpus`, as listed in its INDEX.tsv. */
export const loadCorpus = (dir: string = path.join(import.meta.dirname, "..", "test", "corpus")): Array<Entry> =>
  fs
    .readFileSync(path.join(dir, "INDEX.tsv"), "utf8")
    .trim()
    .split("\n")
    .slice(1)
    .map((row) => row.split("\t")[0] ?? "")
    .filter((p) => p !== "" && fs.existsSync(path.join(dir, p)))
    .map((p) => ({ path: p, bytes: fs.readFileSync(path.join(dir, p)) }))

/** One fuzz input: its number, what was done to which corpus message, and the bytes. */
export interface Sample {
  readonly index: number
  readonly label: string
  readonly bytes: Buffer
}

/** A seeded generator of numbers in [0, 1) (mulberry32): small, fast, and the same everywhere. */
export const random = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Random = () => number

const below = (rnd: Random, n: number): number => Math.floor(rnd() * n)

const pick = <A>(rnd: Random, items: ReadonlyArray<A>, fallback: A): A => items[below(rnd, items.length)] ?? fallback

const MiB = 1 << 20

/** Where the header block of `bytes` ends (after its empty line), or the length when it has none. */
const headerEnd = (bytes: Buffer): number => {
  const crlf = bytes.indexOf("\r\n\r\n")
  const lf = bytes.indexOf("\n\n")
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4
  return lf >= 0 ? lf + 2 : bytes.length
}

/** The line break the message uses. */
const eol = (bytes: Buffer): string => (bytes.indexOf("\r\n") >= 0 ? "\r\n" : "\n")

/** A string of at least `size` characters (and less than one unit more): `unit(i)` for i = 0, 1, ... */
export const fill = (size: number, unit: (i: number) => string): string => {
  const parts: Array<string> = []
  let length = 0
  for (let i = 0; length < size; i++) {
    const piece = unit(i)
    parts.push(piece)
    length += piece.length
  }
  return parts.join("")
}

/** A value of about `size` characters, made of one unit repeated (some units vary with their position). */
const hugeValue = (rnd: Random, size: number): { readonly name: string; readonly value: string } => {
  const units: ReadonlyArray<readonly [string, (i: number) => string]> = [
    ["letters", () => "a"],
    ["spaces", () => " "],
    ["open parentheses", () => "("],
    ["comments", () => "(c)"],
    ["quotes and backslashes", () => "\"\\"],
    ["encoded words", () => "=?utf-8?q?a?= "],
    ["encoded words in distinct charsets", (i) => `=?x-cs${i}?q?a?= `],
    ["encoded words in alternating charsets", (i) => (i % 2 === 0 ? "=?iso-8859-1?q?a?= x " : "=?koi8-r?q?a?= x ")],
    ["addresses", (i) => `"n${i}" <a${i}@b.example>, `],
    ["angle brackets", () => "<"],
    ["parameters", (i) => `; p${i}="v"`],
    ["RFC 2231 continuations", (i) => `; n*${i}*=%41`],
    ["8-bit bytes", () => "\u00e9"],
    ["tabs", () => "\t"],
    ["equals and question marks", () => "=?"]
  ]
  const [name, unit] = pick(rnd, units, ["letters", () => "a"])
  return { name, value: fill(size, unit) }
}

/** A mutation: its name as reported, and what it does to a message (given the rest of the corpus for splices). */
interface Mutation {
  readonly name: string
  readonly apply: (bytes: Buffer, rnd: Random, corpus: ReadonlyArray<Entry>) => { readonly bytes: Buffer; readonly detail: string }
}

const fieldNames = ["Subject", "From", "To", "Cc", "Date", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Received", "Message-ID", "X-Long"]

export const mutations: ReadonlyArray<Mutation> = [
  {
    name: "bit flips",
    apply: (bytes, rnd) => {
      const out = Buffer.from(bytes)
      const n = 1 + below(rnd, 64)
      for (let k = 0; k < n && out.length > 0; k++) {
        const at = below(rnd, out.length)
        out[at] = (out[at] ?? 0) ^ (1 << below(rnd, 8))
      }
      return { bytes: out, detail: `${n}` }
    }
  },
  {
    name: "truncation",
    apply: (bytes, rnd) => {
      const at = below(rnd, bytes.length + 1)
      return { bytes: bytes.subarray(0, at), detail: `at ${at}` }
    }
  },
  {
    name: "boundary duplication",
    apply: (bytes, rnd) => {
      // A delimiter line (a line starting with `--`), else any line, repeated in place.
      const starts: Array<number> = []
      for (let i = bytes.indexOf("\n--"); i >= 0 && starts.length < 1000; i = bytes.indexOf("\n--", i + 1)) starts.push(i + 1)
      const start = starts.length > 0 ? pick(rnd, starts, 0) : bytes.lastIndexOf(10, below(rnd, bytes.length)) + 1
      const nl = bytes.indexOf(10, start)
      const end = nl < 0 ? bytes.length : nl + 1
      const times = pick(rnd, [2, 100, 10_000, 100_000], 2)
      const line = bytes.subarray(start, end)
      // At most a megabyte more, like the other mutations that grow a message.
      const copies = line.length * times > MiB ? Math.max(1, Math.floor(MiB / Math.max(1, line.length))) : times
      return { bytes: Buffer.concat([bytes.subarray(0, end), Buffer.alloc(line.length * copies, line), bytes.subarray(end)]), detail: `${copies}x` }
    }
  },
  {
    name: "1 MB header line",
    apply: (bytes, rnd) => {
      const { name, value } = hugeValue(rnd, MiB)
      const field = pick(rnd, fieldNames, "X-Long")
      const line = Buffer.from(`${field}: ${value}${eol(bytes)}`, "utf8")
      // At the top, or last in the header block.
      const at = rnd() < 0.5 ? 0 : Math.max(0, headerEnd(bytes) - eol(bytes).length)
      return { bytes: Buffer.concat([bytes.subarray(0, at), line, bytes.subarray(at)]), detail: `${field}: ${name}` }
    }
  },
  {
    name: "10,000-deep nesting",
    apply: (bytes, rnd) => {
      const multipart = rnd() < 0.5
      const levels: Array<string> = []
      for (let i = 0; i < 10_000; i++) {
        levels.push(multipart ? `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n` : "Content-Type: message/rfc822\r\n\r\n")
      }
      return { bytes: Buffer.concat([Buffer.from(levels.join("")), bytes]), detail: multipart ? "multipart" : "message/rfc822" }
    }
  },
  {
    name: "splice",
    apply: (bytes, rnd, corpus) => {
      const other = pick(rnd, corpus, { path: "", bytes }).bytes
      const from = below(rnd, other.length + 1)
      const piece = other.subarray(from, from + below(rnd, 4096))
      const at = below(rnd, bytes.length + 1)
      const cut = rnd() < 0.5 ? below(rnd, 256) : 0
      return { bytes: Buffer.concat([bytes.subarray(0, at), piece, bytes.subarray(Math.min(bytes.length, at + cut))]), detail: `${piece.length} bytes at ${at}` }
    }
  },
  {
    name: "line endings",
    apply: (bytes, rnd) => {
      const kind = pick(rnd, ["LF", "CR", "CRLF"], "LF")
      const text = bytes.toString("latin1").replace(/\r\n|\r|\n/g, kind === "LF" ? "\n" : kind === "CR" ? "\r" : "\r\n")
      return { bytes: Buffer.from(text, "latin1"), detail: kind }
    }
  },
  {
    name: "hostile body",
    apply: (bytes, rnd) => {
      // A leaf whose body decoding once was, or could be, the slow part.
      const bodies: ReadonlyArray<readonly [string, string, () => string]> = [
        ["flowed soft line breaks", "text/plain; format=flowed", () => "a \r\n".repeat(MiB / 4)],
        ["flowed soft line breaks, delsp", "text/plain; format=flowed; delsp=yes", () => "a \r\n".repeat(MiB / 4)],
        ["UTF-7 run", "text/plain; charset=utf-7", () => "+" + "A".repeat(MiB)],
        ["quoted-printable equals", "text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable", () => "=".repeat(MiB)],
        ["base64 junk", "application/octet-stream\r\nContent-Transfer-Encoding: base64", () => "!*".repeat(MiB / 2)],
        ["C1 bytes", "text/plain; charset=windows-1252", () => "\u0080".repeat(MiB)]
      ]
      const [name, type, body] = pick(rnd, bodies, bodies[0] ?? ["", "", () => ""])
      const head = bytes.subarray(0, headerEnd(bytes)).toString("latin1").replace(/^content-(type|transfer-encoding):.*(\r?\n[ \t].*)*\r?\n/gim, "")
      const end = head.endsWith("\r\n\r\n") ? head.length - 2 : head.endsWith("\n\n") ? head.length - 1 : head.length
      return { bytes: Buffer.concat([Buffer.from(`${head.slice(0, end)}Content-Type: ${type}\r\n\r\n`, "latin1"), Buffer.from(body(), "latin1")]), detail: name }
    }
  }
]

/** The largest message made: a corpus message and up to three mutations of a megabyte or so. */
export const MAX_SIZE = 4 * MiB

/** A 32-bit hash of the seed and the message number, so that each message has a stream of its own. */
const mix = (seed: number, index: number): number => {
  let h = (seed ^ 0x9e3779b9) >>> 0
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

/** Message `index` of `seed`: a corpus message with one to three mutations applied in turn. */
export const sample = (corpus: ReadonlyArray<Entry>, seed: number, index: number): Sample => {
  const rnd = random(mix(seed, index))
  const base = pick(rnd, corpus, { path: "(empty)", bytes: Buffer.alloc(0) })
  let bytes = base.bytes
  const done: Array<string> = []
  const count = 1 + below(rnd, 3)
  for (let k = 0; k < count; k++) {
    const mutation = pick(rnd, mutations, mutations[0] ?? { name: "none", apply: (b) => ({ bytes: b, detail: "" }) })
    const result = mutation.apply(bytes, rnd, corpus)
    // Nothing grows past a few megabytes: mutations of mutations would otherwise multiply sizes.
    bytes = result.bytes.length > MAX_SIZE ? result.bytes.subarray(0, MAX_SIZE) : result.bytes
    done.push(`${mutation.name} (${result.detail})`)
  }
  return { index, label: `${base.path}: ${done.join(", ")}`, bytes }
}
