/** Unit tests of the pure parts: DataReader across chunk boundaries, TransactionId, ReceivedHeader. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DataReader, ReceivedHeader, TransactionId } from "../src/index.ts"

const read = (chunks: ReadonlyArray<string>, max = 1_000_000) => {
  const reader = new DataReader.DataReader(max)
  for (const c of chunks) reader.push(Buffer.from(c, "latin1"))
  return reader.finish()
}

describe("DataReader", () => {
  it.effect("CRLF split across chunks is fine", () =>
    Effect.sync(() => {
      const r = read(["a\r", "\nb\r\n", "c", "\r", "\n"])
      assert.strictEqual(r._tag, "Ok")
      if (r._tag === "Ok") assert.strictEqual(r.raw.toString(), "a\r\nb\r\nc\r\n")
    }))

  it.effect("a CR at the end of a chunk followed by something else is a bare CR", () =>
    Effect.sync(() => assert.strictEqual(read(["a\r", "b\r\n"])._tag, "BareCr")))

  it.effect("a message ending in CR is a bare CR", () => Effect.sync(() => assert.strictEqual(read(["a\r"])._tag, "BareCr")))

  it.effect("an LF at the start of a chunk after a non-CR is a bare LF", () =>
    Effect.sync(() => assert.strictEqual(read(["a", "\nb\r\n"])._tag, "BareLf")))

  it.effect("CR CR LF is a bare CR", () => Effect.sync(() => assert.strictEqual(read(["a\r\r\n"])._tag, "BareCr")))

  it.effect("an empty message is fine", () => Effect.sync(() => assert.strictEqual(read([])._tag, "Ok")))

  it.effect("line length counts across chunks and excludes CRLF", () =>
    Effect.sync(() => {
      assert.strictEqual(read(["x".repeat(500), "x".repeat(498), "\r", "\n"])._tag, "Ok")
      assert.strictEqual(read(["x".repeat(500), "x".repeat(499), "\r\n"])._tag, "LineTooLong")
      assert.strictEqual(read(["x".repeat(2000)])._tag, "LineTooLong")
    }))

  it.effect("over the limit: TooBig, and nothing is kept", () =>
    Effect.sync(() => {
      const reader = new DataReader.DataReader(10)
      reader.push(Buffer.from("0123456789\r\n"))
      reader.push(Buffer.from("more\r\n"))
      assert.strictEqual(reader.received, 18)
      assert.deepStrictEqual(reader.finish(), { _tag: "TooBig", size: 18 })
    }))
})

describe("TransactionId", () => {
  it.effect("26 base32 characters, unique, time-ordered, timestamp recoverable", () =>
    Effect.sync(() => {
      const a = TransactionId.make(1_700_000_000_000)
      const b = TransactionId.make(1_700_000_000_001)
      assert.strictEqual(a.length, 26)
      assert.isTrue(TransactionId.isTransactionId(a))
      assert.isTrue(a < b)
      assert.strictEqual(TransactionId.timestamp(a), 1_700_000_000_000)
      const many = new Set(Array.from({ length: 1000 }, () => TransactionId.make()))
      assert.strictEqual(many.size, 1000)
    }))
})

describe("ReceivedHeader", () => {
  const base: ReceivedHeader.ReceivedInfo = {
    helo: "client.test",
    clientHostname: undefined,
    remoteAddress: "192.0.2.1",
    hostname: "mx.test",
    esmtp: true,
    secure: false,
    authenticated: false,
    tls: undefined,
    id: "01M8B5QSP50WDFRE2GM0E5JGHG",
    recipients: [{ address: { localPart: "bob", domain: "example.test" } }],
    date: new Date(Date.UTC(2026, 10, 26, 5, 25, 7))
  }

  it.effect("renders one clause per line", () =>
    Effect.sync(() =>
      assert.strictEqual(
        ReceivedHeader.render(base),
        "Received: from client.test (unknown [192.0.2.1])\r\n" +
          "\tby mx.test with ESMTP id 01M8B5QSP50WDFRE2GM0E5JGHG\r\n" +
          "\tfor <bob@example.test>; Thu, 26 Nov 2026 05:25:07 +0000\r\n"
      )
    ))

  it.effect("protocol keywords (RFC 3848) and hostile HELO names", () =>
    Effect.sync(() => {
      assert.strictEqual(ReceivedHeader.protocol({ esmtp: true, secure: true, authenticated: true }), "ESMTPSA")
      assert.strictEqual(ReceivedHeader.protocol({ esmtp: false, secure: true, authenticated: false }), "SMTP")
      const v = ReceivedHeader.value({ ...base, helo: "evil); by forged.test (x", remoteAddress: "2001:db8::1", recipients: [] })
      assert.strictEqual(
        v,
        "from evil???by?forged.test??x (unknown [IPv6:2001:db8::1]) by mx.test with ESMTP id 01M8B5QSP50WDFRE2GM0E5JGHG; Thu, 26 Nov 2026 05:25:07 +0000"
      )
    }))
})
