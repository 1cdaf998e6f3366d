/**
 * Property tests: build → parse round trips, and random or mutated input never throws, parses the same however
 * it is chunked, and stays linear (checked on pathological inputs by size, not by time).
 */
import { describe, expect, it } from "vitest"
import * as fc from "fast-check"
import * as fs from "node:fs"
import * as path from "node:path"
import { Builder, Headers, Message, Parser, Part } from "../src/index.ts"
import { wireProblems } from "./support/wire.ts"

// MIME_FUZZ_SCALE=20 runs twenty times more cases (for a long local soak).
const scale = Math.max(1, Number(process.env["MIME_FUZZ_SCALE"] ?? 1))
const runs = (n: number) => ({ numRuns: n * scale })

const tricky = ["a", "b", "Z", " ", " ", "\"", "\\", ",", "(", ")", "<", "@", ":", ";", ".", "é", "ß", "日", "本", "😀", "\u00a0", "-", "'"]
const phrase = fc.array(fc.constantFrom(...tricky), { minLength: 1, maxLength: 40 }).map((a) => a.join(""))
const address = fc.tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-z]{1,10}\.(com|org|test)$/)).map(([l, d]) => `${l}@${d}`)
const mailbox = fc.record({ name: phrase, address })
const text = fc.string({ unit: fc.constantFrom("a", "b", " ", "\n", "\r\n", "é", "日", "😀", "=", ".", "-", "\t", "x".repeat(90)), maxLength: 80 })
const attachment = fc.record({
  content: fc.uint8Array({ maxLength: 2000 }),
  filename: fc.array(fc.constantFrom("r", "e", "p", " ", ".", "é", "日", "\"", ";", "-", "_"), { minLength: 1, maxLength: 30 }).map((a) => a.join("") + ".bin")
})

const spec = fc.record(
  {
    from: mailbox,
    to: fc.array(mailbox, { maxLength: 4 }),
    subject: phrase,
    text,
    html: text.map((t) => `<p>${t}</p>`),
    attachments: fc.array(attachment, { maxLength: 3 }),
    allow8bit: fc.boolean()
  },
  { requiredKeys: ["from", "to", "subject", "attachments", "allow8bit"] }
)

// Header values lose blanks at their ends (RFC 5322 unfolding keeps the rest).
const ws = Headers.trimBlanks
const canonical = (s: string) => s.replace(/\r\n|\r/g, "\n")

describe("build → parse round trip", () => {
  it("gives back what was built", () => {
    fc.assert(
      fc.property(spec, (s) => {
        const bytes = Builder.build(s)
        expect(wireProblems(bytes, s.allow8bit !== true)).toEqual([])
        const m = Message.parse(bytes)
        expect(m.subject).toBe(ws(s.subject))
        // Display names are read with Unicode whitespace collapsed and trimmed.
        const name = (n: string) => n.replace(/\s+/g, " ").trim()
        expect(m.from.map((a) => [a.name, a.address])).toEqual([[name(s.from.name), s.from.address]])
        expect(m.to.map((a) => a.address)).toEqual(s.to.map((a) => a.address))
        expect(m.to.map((a) => a.name)).toEqual(s.to.map((a) => name(a.name)))
        const wantText = s.text === undefined && s.html === undefined ? "" : s.text
        if (wantText !== undefined) {
          const got = m.text ?? ""
          const want = canonical(wantText)
          // A lone text/plain message body must end with a line break on the wire: 7bit/8bit gain one.
          expect(got === want || got === want + "\n").toBe(true)
        }
        if (s.html !== undefined) {
          const got = m.html ?? ""
          const want = canonical(s.html)
          expect(got === want || (s.text === undefined && got === want + "\n")).toBe(true)
        }
        expect(m.attachments.map((a) => [a.filename, Buffer.from(a.content).toString("hex")])).toEqual(
          s.attachments.map((a) => [a.filename, Buffer.from(a.content).toString("hex")])
        )
        expect(m.defects).toEqual([])
      }),
      runs(300)
    )
  }, 120_000)
})

const corpusDir = path.join(import.meta.dirname, "corpus")
const samples = ["cpython/msg_02.txt", "cpython/msg_38.txt", "enmime/mail/qp-utf8-header.raw", "mime-tools/multi-nested.msg", "mikel-mail/attachment_emails/attachment_content_disposition.eml", "postal-mime/mimetorture.eml", "flanker/enclosed.eml"]
  .map((p) => path.join(corpusDir, p))
  .filter((p) => fs.existsSync(p))
  .map((p) => fs.readFileSync(p))

const mutate = (base: Buffer, ops: ReadonlyArray<readonly [number, number, number, Uint8Array]>): Buffer => {
  let b = base
  for (const [kind, x, y, bytes] of ops) {
    const i = b.length === 0 ? 0 : x % b.length
    const j = Math.min(b.length, i + (y % 200))
    if (kind === 0) b = Buffer.concat([b.subarray(0, i), b.subarray(j)])
    else if (kind === 1) b = Buffer.concat([b.subarray(0, j), b.subarray(i, j), b.subarray(j)])
    else if (kind === 2) b = Buffer.concat([b.subarray(0, i), Buffer.from(bytes), b.subarray(i)])
    else b = b.subarray(0, i)
  }
  return b
}

const fingerprint = (root: Part.Part) =>
  JSON.stringify([...Part.walk(root)].map((p) => [p.contentType.mediaType, p.offset, p.bodyOffset, p.bodyLength, p.body === undefined ? "" : Buffer.from(p.body).toString("base64"), p.headers.fields.map((f) => f.raw), p.defects.map((d) => d.kind)]))

/** Defects only body decoding finds, which a structure-only parse never looks for. */
const decodingDefects: ReadonlySet<string> = new Set(["InvalidBase64", "InvalidQuotedPrintable", "UnknownTransferEncoding"])

/**
 * Everything a tree says, header fields and defect offsets included; with `shared`, only what a structure-only parse
 * must share with a full one: all but whether bodies are kept and the defects of body decoding.
 */
const treePrint = (root: Part.Part, shared: boolean) =>
  JSON.stringify(
    [...Part.walk(root)].map((p) => [
      p.contentType,
      p.disposition ?? null,
      p.transferEncoding,
      p.depth,
      p.offset,
      p.bodyOffset,
      p.bodyLength,
      shared ? null : p.body === undefined,
      p.parts.length,
      p.message !== undefined,
      p.headers.length,
      p.headers.defects,
      p.headers.fields.map((f) => [f.name, f.raw, f.value]),
      shared ? p.defects.filter((d) => !decodingDefects.has(d.kind)) : p.defects
    ])
  )

/**
 * `parseStructure` reads whole header blocks lazily; fed in a few bytes at a time, the push parser mostly reads them
 * line by line and eagerly, so comparing the two checks that the lazy path changes nothing.
 */
const structurePrint = (root: Part.Part) => treePrint(root, false)

/**
 * Structure-only parsing builds only the Content-* fields it needs, even of a block it checks line by line; comparing
 * with the full parse, which builds every field at once, checks that choice of fields against `Headers.get`.
 */
const sharedPrint = (root: Part.Part) => treePrint(root, true)

const structureChunked = (bytes: Uint8Array, size: number) => {
  const parser = Parser.make({ bodies: "none" })
  for (let at = 0; at < bytes.length; at += size) parser.write(bytes.subarray(at, at + size))
  return parser.end()
}

const parseChunked = (bytes: Uint8Array, sizes: ReadonlyArray<number>) => {
  const parser = Parser.make()
  let at = 0
  let k = 0
  while (at < bytes.length) {
    const n = Math.max(1, sizes[k++ % sizes.length] ?? 1)
    parser.write(bytes.subarray(at, at + n))
    at += n
  }
  return parser.end()
}

const noise = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u.map((b) => [10, 13, 45, 45, 61, 58, 32, b][b % 8] ?? b)))

describe("structure only", () => {
  it("reads every corpus message exactly as the line-by-line path does (header blocks parsed lazily)", () => {
    const walk = (dir: string): Array<string> =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".md") || e.name.endsWith(".tsv") ? [] : [path.join(dir, e.name)]))
    const files = walk(corpusDir)
    expect(files.length).toBeGreaterThan(600)
    for (const file of files) {
      const bytes = fs.readFileSync(file)
      expect(structurePrint(Parser.parseStructure(bytes)), file).toBe(structurePrint(structureChunked(bytes, 5)))
    }
  }, 120_000)

  it("reads every corpus message as the full parse does, but for bodies", () => {
    const walk = (dir: string): Array<string> =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".md") || e.name.endsWith(".tsv") ? [] : [path.join(dir, e.name)]))
    for (const file of walk(corpusDir)) {
      const bytes = fs.readFileSync(file)
      expect(sharedPrint(Parser.parseStructure(bytes)), file).toBe(sharedPrint(Parser.parse(bytes)))
      expect(sharedPrint(structureChunked(bytes, 5)), file).toBe(sharedPrint(Parser.parse(bytes)))
    }
  }, 120_000)

  it("finds a Content-Type field written after a byte order mark, as the full parse does", () => {
    // Decoding the line as UTF-8 drops the BOM, so the field is Content-Type to `Headers.get`.
    const bom = Buffer.from([0xef, 0xbb, 0xbf])
    const body = Buffer.from("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/html\r\n\r\nhi\r\n--x--\r\n")
    for (const bytes of [Buffer.concat([bom, body]), Buffer.concat([Buffer.from("X: y\r\n"), bom, body]), Buffer.concat([Buffer.from("From a@b\n"), bom, body])]) {
      const full = Parser.parse(bytes)
      expect(full.parts.length).toBe(1)
      expect(sharedPrint(Parser.parseStructure(bytes))).toBe(sharedPrint(full))
      expect(sharedPrint(structureChunked(bytes, 3))).toBe(sharedPrint(full))
    }
  })
})

describe("fuzz", () => {
  it("random bytes never throw and parse the same whatever the chunking", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(noise, fc.constantFrom(Buffer.from("--b\r\n"), Buffer.from("Content-Type: multipart/mixed; boundary=b\r\n"), Buffer.from("\r\n\r\n"), Buffer.from("Content-Transfer-Encoding: base64\r\n"), Buffer.from("Content-Type: message/rfc822\r\n"))), { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }), (pieces, sizes) => {
        const bytes = Buffer.concat(pieces)
        const whole = Parser.parse(bytes)
        Message.fromPart(whole, bytes)
        expect(fingerprint(parseChunked(bytes, sizes))).toBe(fingerprint(whole))
        expect(structurePrint(Parser.parseStructure(bytes))).toBe(structurePrint(structureChunked(bytes, sizes[0] ?? 1)))
        expect(sharedPrint(Parser.parseStructure(bytes))).toBe(sharedPrint(whole))
      }),
      runs(300)
    )
  }, 120_000)

  it("mutated real messages never throw and parse the same whatever the chunking", () => {
    const op = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 20 }))
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Math.max(0, samples.length - 1) }), fc.array(op, { maxLength: 6 }), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 4 }), (n, ops, sizes) => {
        const bytes = mutate(samples[n] ?? Buffer.alloc(0), ops)
        const whole = Parser.parse(bytes)
        Message.fromPart(whole, bytes)
        expect(fingerprint(parseChunked(bytes, sizes))).toBe(fingerprint(whole))
        expect(structurePrint(Parser.parseStructure(bytes))).toBe(structurePrint(structureChunked(bytes, 1 + ((sizes[0] ?? 1) % 9))))
        expect(sharedPrint(Parser.parseStructure(bytes))).toBe(sharedPrint(whole))
      }),
      runs(150)
    )
  }, 120_000)
})

describe("pathological inputs complete (linear work)", () => {
  const MiB = 1 << 20
  const cases: ReadonlyArray<readonly [string, () => Buffer]> = [
    ["near-boundary lines", () => Buffer.from("Content-Type: multipart/mixed; boundary=" + "b".repeat(60) + "\r\n\r\n" + ("--" + "b".repeat(59) + "\r\n").repeat(MiB / 64))],
    ["delimiters only", () => Buffer.from("Content-Type: multipart/mixed; boundary=b\r\n\r\n" + "--b\r\n".repeat(MiB / 10))],
    ["deep nesting", () => Buffer.from(Array.from({ length: 20_000 }, (_, i) => `Content-Type: multipart/mixed; boundary=${i}\r\n\r\n--${i}\r\n`).join(""))],
    ["header lines", () => Buffer.from("X: y\r\n".repeat(MiB / 12))],
    ["continuation lines", () => Buffer.from("X: y\r\n" + " z\r\n".repeat(MiB / 8))],
    ["equals signs in QP", () => Buffer.from("Content-Transfer-Encoding: quoted-printable\r\n\r\n" + "=".repeat(MiB))],
    ["blanks in QP", () => Buffer.from("Content-Transfer-Encoding: quoted-printable\r\n\r\n" + " ".repeat(MiB) + "x")],
    ["one 1 MiB line", () => Buffer.from("Subject: " + "a".repeat(MiB))],
    ["encoded words", () => Buffer.from("Subject: " + "=?utf-8?q?a?= ".repeat(MiB / 16) + "\r\n\r\n")]
  ]
  it("Headers.parse on many fields before a large body", () => {
    const h = Headers.parse(Buffer.from("X: y\r\n".repeat(100_000) + "\r\n" + "a".repeat(MiB)))
    expect(h.fields.length).toBe(100_000)
  }, 60_000)

  it("Headers.fold of pathological values", () => {
    for (const value of ["a" + " ".repeat(MiB) + "b", "x".repeat(MiB), "é".repeat(MiB / 2)]) {
      for (const line of Headers.fold("X-Big", value).split("\r\n")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(998)
    }
  }, 60_000)

  for (const [name, make] of cases) {
    it(name, () => {
      const bytes = make()
      const root = Parser.parse(bytes)
      Message.fromPart(root, bytes)
      // Streaming in small chunks must not turn into re-scanning (that would be quadratic on these inputs).
      expect(fingerprint(parseChunked(bytes, [4093]))).toBe(fingerprint(root))
    }, 60_000)
  }
})
