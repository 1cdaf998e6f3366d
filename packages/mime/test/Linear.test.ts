/**
 * Linear time on hostile input (issue 12): for each family of adversarial messages, one of 64 KiB and one of 1 MiB
 * of the same shape are read, and the larger must take less than 64 times as long (16 would be linear; quadratic
 * work gives 256). This compares growth, not speed; absolute figures are the benchmark's business. The margin (4x
 * over linear, 4x under quadratic) is what a loaded CI machine needs: at 32x, one family failed now and then while
 * other test files ran beside it (a collection or a descheduled tick inflates the single large read).
 *
 * The time of a 64 KiB read is measured over 16 reads back to back, their results kept until the end, so that it
 * pays for the memory it fills as a 1 MiB read does: a tree of a million bytes outgrows the young generation and
 * is collected at a cost a single small tree never meets, which would count as non-linear work on the large side
 * only. Each side takes the fastest of 5 measurements, after a warm-up.
 *
 * Each family took seconds or more (or threw) before the rewrite noted with it, or is a shape that could.
 */
import { describe, expect, it } from "vitest"
import { fill } from "../fuzz/mutate.ts"
import { AddressList, Charset, ContentType, Headers, MailDate, Message, Parser } from "../src/index.ts"

const KiB = 1024
const MiB = 1024 * KiB

/** The fastest of `runs` measurements of `times` reads in a row (results kept), per read, in milliseconds. */
const fastest = (read: () => unknown, times: number, runs: number): number => {
  let best = Number.POSITIVE_INFINITY
  for (let r = 0; r < runs; r++) {
    const kept: Array<unknown> = []
    const start = performance.now()
    for (let i = 0; i < times; i++) kept.push(read())
    best = Math.min(best, (performance.now() - start) / times)
  }
  return best
}

/** A family of inputs: `prepare(size)` makes one of about `size` bytes and returns a function that reads it. */
interface Family {
  readonly name: string
  readonly prepare: (size: number) => () => unknown
}

const family = <A>(name: string, make: (size: number) => A, read: (input: A) => unknown): Family => ({
  name,
  prepare: (size) => {
    const input = make(size)
    return () => read(input)
  }
})

const bytes = (text: string): Buffer => Buffer.from(text, "latin1")

const families: ReadonlyArray<Family> = [
  // transferEncodingOf: the regex `\(.*?\)` (64 KiB took 1.7-4 s).
  family("Content-Transfer-Encoding: followed by many (", (n) => bytes(`Content-Transfer-Encoding: ${"(".repeat(n)}\r\n\r\nbody`), (b) => Parser.parse(b)),
  family("Content-Transfer-Encoding of an encapsulated message, structure only", (n) => bytes(`Content-Type: message/rfc822\r\nContent-Transfer-Encoding: ${"(".repeat(n)}\r\n\r\nX: y\r\n\r\nbody`), (b) => Parser.parseStructure(b).transferEncoding),
  // MailDate.parse: the regex `\([^)]*\)`.
  family("Date: followed by many (", (n) => bytes(`Date: ${"(".repeat(n)}\r\n\r\nbody`), (b) => Message.parse(b).date),
  family("Date: of many comments and spaces", (n) => fill(n, () => "x (c) "), (s) => MailDate.parse(s)),
  family("Content-Type with many comments", (n) => `text/plain; a=b${fill(n, () => "(c)")}`, (s) => ContentType.parse(s)),
  // Flowed.decode re-read the growing paragraph after every line (896 KiB took 39 s).
  family("format=flowed body of soft line breaks", (n) => bytes(`Content-Type: text/plain; format=flowed\r\n\r\n${"a \r\n".repeat(n / 4)}`), (b) => Message.parse(b).text),
  family("format=flowed body of soft line breaks, delsp=yes", (n) => bytes(`Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\n${"a \r\n".repeat(n / 4)}`), (b) => Message.parse(b).text),
  // Every new charset label was looked up (and cached for ever).
  family("Subject: of encoded words naming distinct charsets", (n) => bytes(`Subject: ${fill(n, (i) => `=?x-cs${i}?q?a?= `)}\r\n\r\nbody`), (b) => Message.parse(b).subject),
  family("Subject: of encoded words alternating two charsets", (n) => bytes(`Subject: ${fill(n, (i) => (i % 2 === 0 ? "=?iso-8859-1?q?a?= x " : "=?koi8-r?q?a?= x "))}\r\n\r\nbody`), (b) => Message.parse(b).subject),
  family("Subject: of encoded words in one charset", (n) => bytes(`Subject: ${"=?utf-8?q?a?= ".repeat(n / 14)}\r\n\r\nbody`), (b) => Message.parse(b).subject),
  family("multipart nesting, as deep as the input allows", (n) => bytes(fill(n, (i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`)), (b) => Parser.parse(b)),
  family("multipart nesting with no depth limit", (n) => bytes(fill(n, (i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`)), (b) => Parser.parse(b, { maxDepth: Number.MAX_SAFE_INTEGER })),
  family("message/rfc822 nesting", (n) => bytes("Content-Type: message/rfc822\r\n\r\n".repeat(n / 32)), (b) => Parser.parseStructure(b)),
  family("one very long header line", (n) => bytes(`Subject: ${"a".repeat(n)}\r\n\r\nbody`), (b) => Message.parse(b).subject),
  family("one very long header line of comments and quotes", (n) => bytes(`From: ${fill(n, () => "(\"\\")}\r\n\r\nbody`), (b) => Message.parse(b).from),
  // The push parser matched an undecided delimiter line again from its start with every chunk.
  family("a line almost matching a boundary as long as the header allows, streamed in 64-byte chunks", (n) => bytes(`Content-Type: multipart/mixed; boundary="${"b".repeat(n / 2)}"\r\n\r\n--${"b".repeat(n / 2 - 1)}`), (b) => {
    const parser = Parser.make({ bodies: "none" })
    for (let at = 0; at < b.length; at += 64) parser.write(b.subarray(at, at + 64))
    return parser.end()
  }),
  family("many boundaries (empty parts)", (n) => bytes(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${"--b\r\n".repeat(n / 5)}`), (b) => Parser.parse(b)),
  family("many boundaries (empty parts), structure only", (n) => bytes(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${"--b\r\n".repeat(n / 5)}`), (b) => Parser.parseStructure(b)),
  family("an address list of many words", (n) => `${"a ".repeat(n / 2)}x@y.example`, (s) => AddressList.parseList(s)),
  family("an address list of long quoted strings and comments", (n) => `"${"a\\\"".repeat(n / 6)}" (${"b\\)".repeat(n / 6)}) <x@y.example>`, (s) => AddressList.parseList(s)),
  family("an address list of many short quoted strings and comments", (n) => fill(n, (i) => `"n${i}" (c) <a${i}@b.example>, `), (s) => AddressList.parseList(s)),
  family("header lines of 8-bit text", (n) => bytes("X: \xff\xfe\r\n".repeat(n / 7)), (b) => Headers.parse(b).fields.length),
  family("a UTF-7 body of one encoded run", (n) => bytes(`Content-Type: text/plain; charset=utf-7\r\n\r\n+${"A".repeat(n)}`), (b) => Message.parse(b).text),
  family("a windows-1252 body of C1 bytes", (n) => bytes(`Content-Type: text/plain; charset=windows-1252\r\n\r\n${"\x80".repeat(n)}`), (b) => Charset.decode(b, "windows-1252"))
]

describe("parse time grows linearly on adversarial input (64 KiB against 1 MiB: under 64x)", () => {
  for (const f of families) {
    it(f.name, () => {
      const small = f.prepare(64 * KiB)
      const large = f.prepare(MiB)
      // Warm up on the small input, so that compiling the code is not counted against it.
      fastest(small, 4, 1)
      const a = fastest(small, 16, 5)
      const b = fastest(large, 1, 5)
      expect(b / a, `${f.name}: 64 KiB in ${a.toFixed(2)} ms, 1 MiB in ${b.toFixed(2)} ms`).toBeLessThan(64)
    }, 30_000)
  }
})
