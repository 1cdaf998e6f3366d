import { describe, expect, it } from "vitest"
import { Builder, Message, Parser, Part } from "../src/index.ts"
import { wireProblems } from "./support/wire.ts"

const date = new Date("2026-11-26T05:25:07Z")
const base = { from: { name: "Zoë Ærøskøbing", address: "zoe@example.com" }, to: ["bob@example.org", { name: "Doe, John", address: "john@example.net" }], date, messageId: "id-1@example.com" }

describe("Builder", () => {
  it("builds a 7-bit clean text message with standard headers", () => {
    const bytes = Builder.build({ ...base, subject: "Hello", text: "Hi Bob,\nsee you.\n" })
    expect(wireProblems(bytes, true)).toEqual([])
    const s = Buffer.from(bytes).toString()
    expect(s).toContain("Date: Thu, 26 Nov 2026 05:25:07 +0000\r\n")
    expect(s).toContain("Message-ID: <id-1@example.com>\r\n")
    expect(s).toContain("MIME-Version: 1.0\r\n")
    expect(s).toContain("Content-Transfer-Encoding: 7bit\r\n")
    const m = Message.parse(bytes)
    expect(m.from).toEqual([{ _tag: "Mailbox", name: "Zoë Ærøskøbing", address: "zoe@example.com" }])
    expect(m.to.map((a) => [a.name, a.address])).toEqual([["", "bob@example.org"], ["Doe, John", "john@example.net"]])
    expect(m.text).toBe("Hi Bob,\nsee you.\n")
    expect(m.date?.getTime()).toBe(date.getTime())
  })

  it("builds alternative text + HTML, related inline parts and mixed attachments", () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255])
    const bytes = Builder.build({
      ...base,
      subject: "Rapport trimestriel — résultats",
      text: "Voir le graphique.",
      html: '<p>Voir <img src="cid:chart@x"></p>',
      inline: [{ content: png, filename: "chart.png", contentType: "image/png", contentId: "chart@x" }],
      attachments: [{ content: "a,b\n1,2\n", filename: "données.csv", contentType: "text/csv" }, { content: new Uint8Array(100_000).fill(65), filename: "big.bin" }]
    })
    expect(wireProblems(bytes, true)).toEqual([])
    const root = Parser.parse(bytes)
    const types = [...Part.walk(root)].map((p) => p.contentType.mediaType)
    expect(types).toEqual(["multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png", "text/csv", "application/octet-stream"])
    const m = Message.fromPart(root)
    expect(m.subject).toBe("Rapport trimestriel — résultats")
    expect(m.html).toBe('<p>Voir <img src="cid:chart@x"></p>')
    expect(m.attachments.map((a) => [a.filename, a.contentId, a.content.length])).toEqual([
      ["chart.png", "chart@x", 8],
      // Text travels in canonical form: CRLF line breaks (RFC 2046 §4.1.1).
      ["données.csv", undefined, 10],
      ["big.bin", undefined, 100_000]
    ])
    expect(Buffer.from(m.attachments[0]?.content ?? []).equals(Buffer.from(png))).toBe(true)
  })

  it("chooses QP for mostly-ASCII text and base64 for mostly non-ASCII text", () => {
    const qp = Buffer.from(Builder.build({ ...base, text: "Grüße aus Köln, bis bald!" })).toString()
    expect(qp).toContain("Content-Transfer-Encoding: quoted-printable")
    const b64 = Buffer.from(Builder.build({ ...base, text: "日本語のテキストです。" })).toString()
    expect(b64).toContain("Content-Transfer-Encoding: base64")
    const eight = Builder.build({ ...base, text: "Grüße", allow8bit: true })
    expect(Buffer.from(eight).toString()).toContain("Content-Transfer-Encoding: 8bit")
    expect(wireProblems(eight, false)).toEqual([])
  })

  it("keeps lines within limits for long text lines, long subjects and many recipients", () => {
    const bytes = Builder.build({
      ...base,
      to: Array.from({ length: 60 }, (_, i) => ({ name: `Recipient Number ${i}`, address: `r${i}@example.org` })),
      subject: "A very long subject line ".repeat(20),
      text: "x".repeat(5000) + "\n" + "word ".repeat(400)
    })
    expect(wireProblems(bytes, true)).toEqual([])
    const s = Buffer.from(bytes).toString("latin1")
    const headerLines = s.slice(0, s.indexOf("\r\n\r\n")).split("\r\n")
    for (const line of headerLines) expect(line.length).toBeLessThanOrEqual(78)
    const m = Message.parse(bytes)
    expect(m.to.length).toBe(60)
    expect(m.subject).toBe("A very long subject line ".repeat(20).trim())
    expect(m.text).toBe("x".repeat(5000) + "\n" + "word ".repeat(400))
  })

  it("keeps long file names intact through RFC 2231 continuations", () => {
    const ascii = "a very long report name, with spaces and \"quotes\" ".repeat(12) + ".pdf"
    const utf = "Überlanger Dateiname für den Bericht ".repeat(10) + ".pdf"
    const bytes = Builder.build({ ...base, text: "x", attachments: [{ content: "1", filename: ascii }, { content: "2", filename: utf }] })
    expect(wireProblems(bytes, true)).toEqual([])
    expect(Message.parse(bytes).attachments.map((a) => a.filename)).toEqual([ascii, utf])
  })

  it("uses raw UTF-8 headers only when SMTPUTF8 is allowed", () => {
    const s = Buffer.from(Builder.build({ ...base, subject: "Grüße", utf8: true, text: "ok" })).toString()
    expect(s).toContain("Subject: Grüße\r\n")
    expect(s).toContain("From: Zoë Ærøskøbing <zoe@example.com>\r\n")
  })

  it("renders extra headers safely and generates ids", () => {
    const s = Buffer.from(Builder.build({ from: "a@b.test", text: "x", headers: [{ name: "X-Note", value: "line1\r\nBcc: evil@x" }] })).toString()
    expect(s).toContain("X-Note: line1 Bcc: evil@x\r\n")
    expect(s).toMatch(/Message-ID: <[0-9a-z]+\.[0-9a-f]+@b\.test>\r\n/)
    expect(Builder.param("filename", "plain.txt")).toBe("filename=plain.txt")
    expect(Builder.param("filename", "a b.txt")).toBe('filename="a b.txt"')
    expect(Builder.param("filename", "€.txt")).toBe("filename*=utf-8''%E2%82%AC.txt")
  })
})
