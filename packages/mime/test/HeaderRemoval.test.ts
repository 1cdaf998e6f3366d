import { describe, expect, it } from "vitest"
import { HeaderRemoval, Headers } from "../src/index.ts"

const bytes = (s: string) => Buffer.from(s, "latin1")
const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString("latin1"))
const run = (message: string | Uint8Array, rules: ReadonlyArray<HeaderRemoval.Rule>) =>
  HeaderRemoval.remove(typeof message === "string" ? bytes(message) : message, rules)

describe("HeaderRemoval.remove", () => {
  it("removes every field of a name, case-insensitively, folded lines included; the rest is untouched", () => {
    const message = "Received: from a\r\n\tby b; Thu, 26 Nov 2026 05:25:07 +0000\r\nBCC: carol@example.test,\r\n dave@example.test\r\n" +
      "Subject: hi\r\nbcc: eve@example.test\r\n\r\nBcc: in the body stays\r\n"
    const out = run(message, [{ name: "Bcc" }])
    expect(out?.count).toBe(2)
    expect(text(out?.bytes)).toBe(
      "Received: from a\r\n\tby b; Thu, 26 Nov 2026 05:25:07 +0000\r\nSubject: hi\r\n\r\nBcc: in the body stays\r\n"
    )
  })

  it("answers undefined, copying nothing, when no field matches", () => {
    expect(run("Subject: hi\r\n\r\nbody\r\n", [{ name: "Bcc" }])).toBeUndefined()
    expect(run("Subject: hi\r\n\r\nbody\r\n", [])).toBeUndefined()
    expect(run("", [{ name: "Bcc" }])).toBeUndefined()
  })

  it("asks `matches` with the unfolded, decoded value, only for fields of the rule's name", () => {
    const seen: Array<string> = []
    const message = "Authentication-Results: mx.example.test;\r\n dkim=pass header.d=example.org\r\n" +
      "Authentication-Results: other.example; spf=pass\r\nSubject: =?UTF-8?B?SGVsbG8g4oKs?=\r\n\r\nx\r\n"
    const out = run(message, [{
      name: "authentication-results",
      matches: (value) => {
        seen.push(value)
        return value.startsWith("mx.example.test;")
      }
    }])
    expect(seen).toEqual(["mx.example.test; dkim=pass header.d=example.org", "other.example; spf=pass"])
    expect(text(out?.bytes)).toBe("Authentication-Results: other.example; spf=pass\r\nSubject: =?UTF-8?B?SGVsbG8g4oKs?=\r\n\r\nx\r\n")
    const decoded: Array<string> = []
    run(message, [{ name: "Subject", matches: (v) => (decoded.push(v), false) }])
    expect(decoded).toEqual(["Hello €"])
  })

  it("removes the last field before the empty line, keeping the empty line and the body", () => {
    expect(text(run("Subject: hi\r\nBcc: x@example.test\r\n\r\nbody\r\n", [{ name: "Bcc" }])?.bytes)).toBe("Subject: hi\r\n\r\nbody\r\n")
    expect(text(run("Bcc: x@example.test\r\n\r\nbody\r\n", [{ name: "Bcc" }])?.bytes)).toBe("\r\nbody\r\n")
  })

  it("handles a message with no body: no empty line, the last field with or without its line break", () => {
    expect(text(run("Subject: hi\r\nBcc: x@example.test\r\n", [{ name: "Bcc" }])?.bytes)).toBe("Subject: hi\r\n")
    expect(text(run("Subject: hi\r\nBcc: x@example.test", [{ name: "Bcc" }])?.bytes)).toBe("Subject: hi\r\n")
    expect(text(run("Bcc: x\r\n\tfolded", [{ name: "Bcc" }])?.bytes)).toBe("")
  })

  it("keeps 8-bit octets exactly (no string round trip), in removed neighbours' values and in kept fields", () => {
    // windows-1252 "café" (not valid UTF-8) in a kept field, UTF-8 in a removed one, and a body of raw octets.
    const message = Buffer.concat([
      bytes("Subject: caf"),
      Buffer.from([0xe9]),
      bytes("\r\nX-Drop: "),
      Buffer.from("日本", "utf8"),
      bytes("\r\n\r\n"),
      Buffer.from([0xff, 0xfe, 0x80, 0x0d, 0x0a])
    ])
    const seen: Array<string> = []
    const out = run(message, [{ name: "X-Drop", matches: (v) => (seen.push(v), true) }])
    expect(seen).toEqual(["日本"])
    expect(Buffer.from(out?.bytes ?? []).equals(Buffer.concat([bytes("Subject: caf"), Buffer.from([0xe9]), bytes("\r\n\r\n"), Buffer.from([0xff, 0xfe, 0x80, 0x0d, 0x0a])]))).toBe(true)
  })

  it("a message with no header block (it starts with the empty line, or with body text) is left alone", () => {
    expect(run("\r\nBcc: not a header\r\n", [{ name: "Bcc" }])).toBeUndefined()
    expect(run("just text\r\nmore text\r\n", [{ name: "just text" }])).toBeUndefined()
    // A line without a colon is no field, whatever follows it.
    expect(text(run("just text\r\nBcc: x\r\n\r\nbody\r\n", [{ name: "Bcc" }])?.bytes)).toBe("just text\r\n\r\nbody\r\n")
  })

  it("a continuation line right after the removed field goes with it; a junk line between fields stays", () => {
    const message = "Bcc: a@example.test\r\n b@example.test\r\nnot a field\r\n c@example.test\r\nSubject: s\r\n\r\n"
    expect(text(run(message, [{ name: "Bcc" }])?.bytes)).toBe("not a field\r\n c@example.test\r\nSubject: s\r\n\r\n")
  })

  it("reads fields as the parser does: a whitespace-led first field and a lost parameter line belong to their field", () => {
    const message = " Authentication-Results: mx.example.test; dkim=pass\r\nContent-Type: multipart/mixed;\r\n" +
      "boundary=\"b1\"\r\nSubject: s\r\n\r\nbody\r\n"
    const parsed = Headers.parse(message)
    expect(parsed.getAll("authentication-results").map((f) => f.decoded)).toEqual(["mx.example.test; dkim=pass"])
    const seen: Array<string> = []
    const out = run(message, [{ name: "Authentication-Results" }, { name: "Content-Type", matches: (v) => (seen.push(v), true) }])
    expect(seen).toEqual([parsed.value("content-type")])
    expect(out?.count).toBe(2)
    expect(text(out?.bytes)).toBe("Subject: s\r\n\r\nbody\r\n")
    expect(Headers.parse(text(out?.bytes) ?? "").fields.map((f) => f.name)).toEqual(["Subject"])
  })

  it("several rules: adjacent and separate fields, each removed once", () => {
    const message = "A: 1\r\nB: 2\r\nC: 3\r\nA: 4\r\nD: 5\r\n\r\n"
    const out = run(message, [{ name: "A" }, { name: "B" }, { name: "a", matches: () => true }])
    expect(out?.count).toBe(3)
    expect(text(out?.bytes)).toBe("C: 3\r\nD: 5\r\n\r\n")
  })

  it("does not change its input", () => {
    const input = bytes("Bcc: x\r\nSubject: s\r\n\r\nb\r\n")
    const copy = Buffer.from(input)
    run(input, [{ name: "Bcc" }])
    expect(input.equals(copy)).toBe(true)
  })

  it("takes a plain Uint8Array view into a larger buffer", () => {
    const backing = bytes("XXXXBcc: x\r\nSubject: s\r\n\r\nbYYYY")
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 4, backing.length - 8)
    expect(text(run(view, [{ name: "Bcc" }])?.bytes)).toBe("Subject: s\r\n\r\nb")
  })
})
