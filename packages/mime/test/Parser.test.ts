import { describe, expect, it } from "vitest"
import { Effect, Stream } from "effect"
import { Message, Parser, Part } from "../src/index.ts"

const crlf = (lines: ReadonlyArray<string>) => lines.join("\r\n")
const kinds = (root: Part.Part) => Part.defects(root).map((d) => d.kind)
const text = (p: Part.Part | undefined) => (p === undefined ? undefined : Part.text(p))

const nested = crlf([
  "From: Alice <alice@example.com>",
  "To: Bob <bob@example.org>",
  "Subject: =?UTF-8?Q?R=C3=A9sum=C3=A9?=",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="outer"',
  "",
  "preamble",
  "--outer",
  'Content-Type: multipart/alternative; boundary="inner"',
  "",
  "--inner",
  "Content-Type: text/plain; charset=iso-8859-1",
  "Content-Transfer-Encoding: quoted-printable",
  "",
  "caf=E9 soft=",
  "break",
  "--inner",
  "Content-Type: text/html; charset=utf-8",
  "",
  "<p>caf\u00e9</p>",
  "--inner--",
  "",
  "--outer",
  "Content-Type: application/octet-stream; name=data.bin",
  "Content-Disposition: attachment; filename*=UTF-8''d%C3%A4ta.bin",
  "Content-Transfer-Encoding: base64",
  "",
  "AAEC",
  "AwQ",
  "--outer",
  "Content-Type: message/rfc822",
  "",
  "Subject: inner",
  "",
  "inner body",
  "--outer--",
  "epilogue"
])

describe("Parser", () => {
  it("parses nested multiparts, encodings, charsets and message/rfc822", () => {
    const root = Parser.parse(nested)
    expect(root.contentType.mediaType).toBe("multipart/mixed")
    expect(root.parts.map((p) => p.contentType.mediaType)).toEqual(["multipart/alternative", "application/octet-stream", "message/rfc822"])
    const [alt, bin, msg] = root.parts
    expect(text(alt?.parts[0])).toBe("café softbreak")
    expect(text(alt?.parts[1])).toBe("<p>café</p>")
    expect(Array.from(bin?.body ?? [])).toEqual([0, 1, 2, 3, 4])
    expect(bin === undefined ? undefined : Part.filename(bin)).toBe("däta.bin")
    expect(msg?.message?.headers.value("subject")).toBe("inner")
    expect(text(msg?.message)).toBe("inner body")
    // Missing base64 padding is tolerated, not a defect.
    expect(kinds(root)).toEqual([])
  })

  it("summarises like a mail client", () => {
    const m = Message.parse(nested)
    expect(m.subject).toBe("Résumé")
    expect(m.from).toEqual([{ _tag: "Mailbox", name: "Alice", address: "alice@example.com" }])
    expect(m.text).toBe("café softbreak")
    expect(m.html).toBe("<p>café</p>")
    expect(m.attachments.map((a) => [a.filename, a.contentType, a.content.length])).toEqual([
      ["däta.bin", "application/octet-stream", 5],
      [undefined, "message/rfc822", "Subject: inner\r\n\r\ninner body".length]
    ])
  })

  it("gives structure and sizes without decoding bodies", () => {
    const bytes = Buffer.from(nested)
    const root = Parser.parseStructure(bytes)
    for (const p of Part.walk(root)) expect(p.body).toBeUndefined()
    const bin = root.parts[1]
    expect(bin?.bodyLength).toBe("AAEC\r\nAwQ".length)
    expect(bytes.subarray(bin?.bodyOffset, (bin?.bodyOffset ?? 0) + (bin?.bodyLength ?? 0)).toString()).toBe("AAEC\r\nAwQ")
    expect([...Part.walk(root)].map((p) => p.contentType.mediaType)).toEqual([...Part.walk(Parser.parse(bytes))].map((p) => p.contentType.mediaType))
  })

  it("reads a digest's parts as messages by default", () => {
    const root = Parser.parse(crlf(["Content-Type: multipart/digest; boundary=d", "", "--d", "", "Subject: one", "", "1", "--d--"]))
    expect(root.parts[0]?.contentType.mediaType).toBe("message/rfc822")
    expect(root.parts[0]?.message?.headers.value("subject")).toBe("one")
  })

  it("parses the same whatever the chunking", () => {
    const bytes = Buffer.from(nested)
    const whole = JSON.stringify(summary(Parser.parse(bytes)))
    for (const step of [1, 2, 3, 7, 64]) {
      const parser = Parser.make()
      for (let i = 0; i < bytes.length; i += step) parser.write(bytes.subarray(i, i + step))
      expect(JSON.stringify(summary(parser.end()))).toBe(whole)
    }
  })

  it("hands bodies over chunk by chunk without keeping them when asked to", () => {
    const bytes = Buffer.from(nested)
    const seen = new Map<Part.Part, Array<Buffer>>()
    const parser = Parser.make({ onBody: (part, chunk) => seen.set(part, [...(seen.get(part) ?? []), Buffer.from(chunk)]) })
    for (let i = 0; i < bytes.length; i += 5) parser.write(bytes.subarray(i, i + 5))
    const root = parser.end()
    for (const p of Part.walk(root)) expect(p.body).toBeUndefined()
    const whole = Parser.parse(bytes)
    const streamed = [...Part.walk(root)].map((p) => Buffer.concat(seen.get(p) ?? []).toString("latin1"))
    expect(streamed).toEqual([...Part.walk(whole)].map((p) => Buffer.from(p.body ?? []).toString("latin1")))
  })

  it("parses a Stream<Uint8Array> in Effect", async () => {
    const bytes = Buffer.from(nested)
    const chunks = Array.from({ length: Math.ceil(bytes.length / 10) }, (_, i) => bytes.subarray(i * 10, i * 10 + 10))
    const root = await Effect.runPromise(Parser.parseStream(Stream.fromIterable(chunks)))
    expect(JSON.stringify(summary(root))).toBe(JSON.stringify(summary(Parser.parse(bytes))))
  })
})

const summary = (root: Part.Part) =>
  [...Part.walk(root)].map((p) => [p.contentType.mediaType, p.offset, p.bodyOffset, p.bodyLength, p.body === undefined ? -1 : Buffer.from(p.body).toString("base64"), p.defects.map((d) => d.kind)])

describe("Parser on malformed input", () => {
  it("missing final boundary", () => {
    const root = Parser.parse(crlf(["Content-Type: multipart/mixed; boundary=b", "", "--b", "", "one", "--b", "", "two"]))
    expect(root.parts.map((p) => text(p))).toEqual(["one", "two"])
    expect(kinds(root)).toEqual(["MissingFinalBoundary"])
  })

  it("boundary never found", () => {
    const root = Parser.parse(crlf(["Content-Type: multipart/mixed; boundary=b", "", "just text", "--c", "more"]))
    expect(root.parts).toEqual([])
    expect(kinds(root)).toEqual(["BoundaryNotFound"])
  })

  it("multipart without boundary parameter is text/plain", () => {
    const root = Parser.parse(crlf(["Content-Type: multipart/mixed", "", "hello"]))
    expect(root.contentType.mediaType).toBe("text/plain")
    expect(text(root)).toBe("hello")
    expect(kinds(root)).toEqual(["MissingBoundaryParameter"])
  })

  it("an outer boundary closes unfinished inner multiparts", () => {
    const root = Parser.parse(crlf(["Content-Type: multipart/mixed; boundary=o", "", "--o", "Content-Type: multipart/mixed; boundary=i", "", "--i", "", "a", "--o", "", "b", "--o--"]))
    expect(root.parts.length).toBe(2)
    expect(text(root.parts[0]?.parts[0])).toBe("a")
    expect(text(root.parts[1])).toBe("b")
    expect(kinds(root)).toEqual(["MissingFinalBoundary"])
  })

  it("bad base64 keeps what decodes", () => {
    const root = Parser.parse(crlf(["Content-Transfer-Encoding: base64", "", "SGVs!!bG8=", "====", "V29y"]))
    expect(text(root)).toBe("HelloWor")
    expect(kinds(root)).toEqual(["InvalidBase64"])
  })

  it("headers without colon, NUL bytes, missing separator in a part", () => {
    const root = Parser.parse(crlf(["Subject: x", "garbage line", "Content-Type: multipart/mixed; boundary=b", "", "--b", "Content-Type: text/plain", "this starts the body", "--b--"]))
    expect(root.headers.value("content-type")).toBe("multipart/mixed; boundary=b")
    expect(text(root.parts[0])).toBe("this starts the body")
    expect(kinds(root)).toEqual(["HeaderWithoutColon", "MissingHeaderBodySeparator", "HeaderWithoutColon"])
    const nul = Parser.parse("Subj\u0000ect: a\r\n\r\nbody")
    expect(kinds(nul)).toContain("NulInHeader")
  })

  it("bare CR line endings", () => {
    const root = Parser.parse("Subject: mac\rContent-Type: text/plain\r\rhello\r")
    expect(root.headers.value("subject")).toBe("mac")
    expect(text(root)).toBe("hello\n")
    expect(kinds(root)).toEqual(["BareCarriageReturns"])
  })

  it("10 000 nested multiparts: bounded depth, no stack overflow", () => {
    const n = 10_000
    const open = Array.from({ length: n }, (_, i) => `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`).join("")
    const close = Array.from({ length: n }, (_, i) => `\r\n--b${n - 1 - i}--`).join("")
    const root = Parser.parse(open + "Content-Type: text/plain\r\n\r\ndeep" + close)
    let depth = 0
    for (const p of Part.walk(root)) depth = Math.max(depth, p.depth)
    expect(depth).toBe(256)
    expect(kinds(root)).toContain("NestingTooDeep")
  })

  it("10 000 sibling parts", () => {
    const body = Array.from({ length: 10_000 }, (_, i) => `--b\r\n\r\npart ${i}\r\n`).join("")
    const root = Parser.parse(`Content-Type: multipart/mixed; boundary=b\r\n\r\n${body}--b--\r\n`)
    expect(root.parts.length).toBe(10_000)
    expect(text(root.parts[9_999])).toBe("part 9999")
  })

  it("a 1 MiB header line", () => {
    const root = Parser.parse(`X-Big: ${"a".repeat(1 << 20)}\r\nSubject: after\r\n\r\nbody`)
    expect(root.headers.get("x-big")?.value.length).toBe(1 << 20)
    expect(root.headers.value("subject")).toBe("after")
    expect(text(root)).toBe("body")
  })

  it("empty and header-only input", () => {
    expect(text(Parser.parse(""))).toBe("")
    const h = Parser.parse("Subject: only")
    expect(h.headers.value("subject")).toBe("only")
    expect(kinds(h)).toEqual(["MissingHeaderBodySeparator"])
  })
})
