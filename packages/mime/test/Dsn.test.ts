import { describe, expect, it } from "vitest"
import { Dsn, Headers, Message, Parser, Part } from "../src/index.ts"
import { wireProblems } from "./support/wire.ts"

const original = Buffer.from("From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Lunch\r\nMessage-ID: <m1@example.com>\r\n\r\nSee you at noon.\r\n")

const spec: Dsn.Spec = {
  reportingMta: "mx.cartero.test",
  from: "MAILER-DAEMON@mx.cartero.test",
  to: "alice@example.com",
  original,
  arrivalDate: new Date("2026-11-26T05:00:00Z"),
  date: new Date("2026-11-26T05:25:07Z"),
  messageId: "dsn-1@mx.cartero.test",
  originalEnvelopeId: "env-42",
  recipients: [
    {
      finalRecipient: "bob@example.org",
      action: "failed",
      status: "5.1.1",
      diagnosticCode: "550 5.1.1 <bob@example.org>: Recipient address rejected",
      remoteMta: "mx.example.org",
      lastAttemptDate: new Date("2026-11-26T05:25:00Z")
    },
    { finalRecipient: "carol@example.org", originalRecipient: "Carol@Example.org", action: "delayed", status: "4.4.1", remoteMta: "mx2.example.org" }
  ]
}

describe("Dsn.make", () => {
  it("builds an RFC 3464 multipart/report", () => {
    const bytes = Dsn.make(spec)
    expect(wireProblems(bytes, true)).toEqual([])
    const root = Parser.parse(bytes)
    expect(root.contentType.mediaType).toBe("multipart/report")
    expect(root.contentType.params["report-type"]).toBe("delivery-status")
    expect(root.parts.map((p) => p.contentType.mediaType)).toEqual(["text/plain", "message/delivery-status", "text/rfc822-headers"])
    expect(Part.defects(root)).toEqual([])
    const m = Message.fromPart(root)
    expect(m.subject).toBe("Undelivered Mail Returned to Sender")
    expect(m.to.map((a) => a.address)).toEqual(["alice@example.com"])
    expect(root.headers.value("auto-submitted")).toBe("auto-replied")

    const status = Part.text(root.parts[1] ?? root)
    const groups = status.split("\r\n\r\n").map((g) => Headers.parse(g + "\r\n\r\n"))
    expect(groups[0]?.value("reporting-mta")).toBe("dns; mx.cartero.test")
    expect(groups[0]?.value("original-envelope-id")).toBe("env-42")
    expect(groups[0]?.value("arrival-date")).toBe("Thu, 26 Nov 2026 05:00:00 +0000")
    expect(groups[1]?.value("final-recipient")).toBe("rfc822; bob@example.org")
    expect(groups[1]?.value("action")).toBe("failed")
    expect(groups[1]?.value("status")).toBe("5.1.1")
    expect(groups[1]?.value("remote-mta")).toBe("dns; mx.example.org")
    expect(groups[1]?.value("diagnostic-code")).toBe("smtp; 550 5.1.1 <bob@example.org>: Recipient address rejected")
    expect(groups[2]?.value("original-recipient")).toBe("rfc822; Carol@Example.org")
    expect(groups[2]?.value("action")).toBe("delayed")

    const returned = Part.text(root.parts[2] ?? root)
    expect(returned).toBe("From: alice@example.com\r\nTo: bob@example.org\r\nSubject: Lunch\r\nMessage-ID: <m1@example.com>\r\n")
  })

  it("returns the full message with RET=FULL", () => {
    const root = Parser.parse(Dsn.make({ ...spec, ret: "FULL" }))
    const msg = root.parts[2]
    expect(msg?.contentType.mediaType).toBe("message/rfc822")
    expect(msg?.message?.headers.value("subject")).toBe("Lunch")
    expect(Part.text(msg?.message ?? root)).toBe("See you at noon.\r\n")
  })

  it("falls back to headers when an 8-bit original cannot travel whole", () => {
    const eight = Buffer.concat([original, Buffer.from("caf\xe9\r\n", "latin1")])
    const root = Parser.parse(Dsn.make({ ...spec, ret: "FULL", original: eight }))
    expect(root.parts[2]?.contentType.mediaType).toBe("text/rfc822-headers")
    expect(Parser.parse(Dsn.make({ ...spec, ret: "FULL", original: eight, allow8bit: true })).parts[2]?.contentType.mediaType).toBe("message/rfc822")
  })

  it("keeps the report within 998-octet lines even for an original with a huge header line", () => {
    const huge = Buffer.from(`X-Huge: ${"a".repeat(5000)}\r\nSubject: big\r\n\r\nbody\r\n`)
    expect(wireProblems(Dsn.make({ ...spec, original: huge }), true)).toEqual([])
  })

  it("sanitises remote text: no CR/LF injection into fields or parts", () => {
    const hostile: Dsn.Spec = {
      ...spec,
      recipients: [
        {
          finalRecipient: "bob@example.org\r\nX-Injected: 1",
          action: "failed",
          status: "5.0.0\r\nAction: delivered",
          diagnosticCode: "550 no\r\n\r\n--boundary\r\nContent-Type: text/html\r\n\r\n<script>\u0000 ünïcode",
          remoteMta: "evil.example\rRemote-MTA: dns; other"
        }
      ]
    }
    const bytes = Dsn.make(hostile)
    expect(wireProblems(bytes, true)).toEqual([])
    const root = Parser.parse(bytes)
    expect(root.parts.length).toBe(3)
    const status = Part.text(root.parts[1] ?? root)
    const group = Headers.parse(status.split("\r\n\r\n")[1] + "\r\n\r\n")
    expect(group.fields.map((f) => f.name)).toEqual(["Final-Recipient", "Action", "Status", "Remote-MTA", "Diagnostic-Code"])
    expect(group.value("status")).toBe("5.0.0")
    expect(group.value("diagnostic-code")).toBe("smtp; 550 no --boundary Content-Type: text/html <script> \\x{FC}n\\x{EF}code")
    expect(Dsn.sanitize("a\r\nb\u0000c")).toBe("a b c")
  })
})
