import { describe, expect, it } from "vitest"
import { Headers } from "../src/index.ts"

const block = [
  "Received: from a.example (a.example [192.0.2.1])",
  "\tby b.example with ESMTP id 123;",
  "  Thu, 26 Nov 2026 05:25:07 +0000",
  "Subject: =?UTF-8?B?SGVsbG8g4oKs?= and =?iso-8859-1?q?caf=e9?=",
  "X-Tag: one",
  "x-tag: two",
  "",
  "body"
].join("\r\n")

describe("Headers.parse", () => {
  it("keeps fields in order with raw, unfolded and decoded values", () => {
    const h = Headers.parse(block)
    expect(h.fields.map((f) => f.name)).toEqual(["Received", "Subject", "X-Tag", "x-tag"])
    const received = h.get("received")
    expect(received?.raw).toBe("Received: from a.example (a.example [192.0.2.1])\r\n\tby b.example with ESMTP id 123;\r\n  Thu, 26 Nov 2026 05:25:07 +0000")
    expect(received?.value).toBe("from a.example (a.example [192.0.2.1])\tby b.example with ESMTP id 123;  Thu, 26 Nov 2026 05:25:07 +0000")
    expect(h.get("SUBJECT")?.decoded).toBe("Hello € and café")
    expect(h.value("subject")).toBe("Hello € and café")
    expect(h.getAll("x-tag").map((f) => f.value)).toEqual(["one", "two"])
    expect(h.has("missing")).toBe(false)
    expect(h.get("missing")).toBeUndefined()
  })

  it("reports where the body starts", () => {
    const bytes = Buffer.from(block)
    const h = Headers.parse(bytes)
    expect(bytes.subarray(h.length).toString()).toBe("body")
  })

  it("accepts bare LF, UTF-8 (RFC 6532) and reports defects instead of throwing", () => {
    const h = Headers.parse("From: Jöran <j@x>\nnot a header\nTo: a@b\n\u0000X: y\n\nbody")
    expect(h.value("from")).toBe("Jöran <j@x>")
    expect(h.value("to")).toBe("a@b")
    expect(h.defects.map((d) => d.kind)).toContain("HeaderWithoutColon")
    expect(h.defects.map((d) => d.kind)).toContain("NulInHeader")
  })

  it("reports a block that never ends", () => {
    expect(Headers.parse("A: b").defects.map((d) => d.kind)).toEqual(["MissingHeaderBodySeparator"])
  })
})

describe("Headers.fold", () => {
  it("renders short fields on one CRLF line", () => {
    expect(Headers.fold("X-Spam-Score", "1.5")).toBe("X-Spam-Score: 1.5\r\n")
  })

  it("folds at whitespace within 78 columns, and unfolding gives the value back", () => {
    const value = "from mail.example.org (mail.example.org [203.0.113.7]) by mx.cartero.test (Cartero) with ESMTPS id 7f3a9c for <bob@cartero.test>; Thu, 26 Nov 2026 05:25:07 +0000"
    const out = Headers.fold("Received", value)
    const lines = out.split("\r\n")
    expect(lines.at(-1)).toBe("")
    for (const line of lines.slice(0, -1)) expect(line.length).toBeLessThanOrEqual(78)
    for (const line of lines.slice(1, -1)) expect(line.startsWith(" ")).toBe(true)
    expect(Headers.parse(out + "\r\n").get("received")?.value).toBe(value)
  })

  it("never lets CR, LF or NUL through", () => {
    const out = Headers.fold("X-Evil", "a\r\nBcc: victim@example.com\r\n\r\nbody\u0000")
    expect(out).toBe("X-Evil: a Bcc: victim@example.com body\r\n")
  })

  it("keeps every line within 998 octets even for one enormous word", () => {
    const out = Headers.fold("X-Long", "x".repeat(5000))
    for (const line of out.split("\r\n")) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(998)
  })

  it("format encodes non-ASCII with RFC 2047 unless UTF-8 is allowed", () => {
    const out = Headers.format("Subject", "Grüße aus Köln")
    expect(out).toMatch(/^Subject: =\?UTF-8\?Q\?/)
    expect(Headers.parse(out + "\r\n").value("subject")).toBe("Grüße aus Köln")
    expect(Headers.format("Subject", "Grüße", { utf8: true })).toBe("Subject: Grüße\r\n")
  })
})
