/** Unit tests of the pure parts: DataReader across chunk boundaries, TransactionId, ReceivedHeader. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import * as Path from "node:path"
import { join } from "node:path"
import { DataReader, ReceivedHeader, TransactionId } from "../src/index.ts"

const read = (chunks: ReadonlyArray<string>, max = 1_000_000) => {
  const reader = new DataReader.DataReader(max)
  for (const c of chunks) reader.push(Buffer.from(c, "latin1"))
  return Effect.promise(() => reader.finish())
}
const tagOf = (chunks: ReadonlyArray<string>) => Effect.map(read(chunks), (r) => r._tag)

describe("DataReader", () => {
  it.effect("CRLF split across chunks is fine", () =>
    Effect.gen(function*() {
      const r = yield* read(["a\r", "\nb\r\n", "c", "\r", "\n"])
      assert.strictEqual(r._tag, "Ok")
      if (r._tag === "Ok" && r.data._tag === "InMemory") assert.strictEqual(Buffer.from(r.data.bytes).toString(), "a\r\nb\r\nc\r\n")
    }))

  it.effect("a CR at the end of a chunk followed by something else is a bare CR", () =>
    Effect.map(tagOf(["a\r", "b\r\n"]), (tag) => assert.strictEqual(tag, "BareCr")))

  it.effect("a message ending in CR is a bare CR", () => Effect.map(tagOf(["a\r"]), (tag) => assert.strictEqual(tag, "BareCr")))

  it.effect("an LF at the start of a chunk after a non-CR is a bare LF", () =>
    Effect.map(tagOf(["a", "\nb\r\n"]), (tag) => assert.strictEqual(tag, "BareLf")))

  it.effect("CR CR LF is a bare CR", () => Effect.map(tagOf(["a\r\r\n"]), (tag) => assert.strictEqual(tag, "BareCr")))

  it.effect("an empty message is fine", () => Effect.map(tagOf([]), (tag) => assert.strictEqual(tag, "Ok")))

  it.effect("line length counts across chunks and excludes CRLF", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* tagOf(["x".repeat(500), "x".repeat(498), "\r", "\n"]), "Ok")
      assert.strictEqual(yield* tagOf(["x".repeat(500), "x".repeat(499), "\r\n"]), "LineTooLong")
      assert.strictEqual(yield* tagOf(["x".repeat(2000)]), "LineTooLong")
    }))

  it.effect("over the limit: TooBig, and nothing is kept", () =>
    Effect.gen(function*() {
      const reader = new DataReader.DataReader(10)
      reader.push(Buffer.from("0123456789\r\n"))
      reader.push(Buffer.from("more\r\n"))
      assert.strictEqual(reader.received, 18)
      assert.deepStrictEqual(yield* Effect.promise(() => reader.finish()), { _tag: "TooBig", size: 18 })
    }))
})

describe("DataReader spilling to disk", () => {
  const spilling = (threshold: number) =>
    Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "cartero-spill-test-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ).pipe(Effect.map((dir) => ({ dir, reader: new DataReader.DataReader(10_000_000, { threshold, dir }) })))

  it.effect("a message under the threshold stays in memory; one over it is in a 0600 file, only its header block in memory", () =>
    Effect.gen(function*() {
      const small = yield* spilling(1024)
      small.reader.push(Buffer.from("Subject: s\r\n\r\nbody\r\n"))
      const r0 = yield* Effect.promise(() => small.reader.finish())
      assert.strictEqual(r0._tag === "Ok" ? r0.data._tag : r0._tag, "InMemory")

      const { dir, reader } = yield* spilling(1024)
      const head = "Subject: big\r\nX-Long: " + "h".repeat(500) + "\r\n\r\n"
      const line = "b".repeat(78) + "\r\n"
      const chunks = [head, line.repeat(10), line.repeat(100), line.repeat(1000)]
      for (const c of chunks) reader.push(Buffer.from(c))
      const r = yield* Effect.promise(() => reader.finish())
      assert.strictEqual(r._tag, "Ok")
      if (r._tag !== "Ok" || r.data._tag !== "Spilled") return assert.fail("expected a spilled message")
      assert.strictEqual(r.head.toString(), head)
      assert.strictEqual(r.data.size, chunks.join("").length)
      assert.strictEqual(readFileSync(r.data.path, "latin1"), chunks.join(""))
      assert.strictEqual((statSync(r.data.path).mode & 0o777).toString(8), "600")
      assert.strictEqual(Path.dirname(r.data.path), dir)
      yield* Effect.promise(() => reader.discard())
      assert.deepStrictEqual(readdirSync(dir), [], "discard removes the file")
    }).pipe(Effect.scoped))

  it.effect("a header block that does not end within the threshold is HeaderTooBig; nothing is left on disk", () =>
    Effect.gen(function*() {
      const { dir, reader } = yield* spilling(1024)
      for (let i = 0; i < 40; i++) reader.push(Buffer.from(`X-H${i}: ${"v".repeat(60)}\r\n`))
      reader.push(Buffer.from("\r\nbody\r\n"))
      assert.strictEqual((yield* Effect.promise(() => reader.finish()))._tag, "HeaderTooBig")
      assert.deepStrictEqual(readdirSync(dir), [])
    }).pipe(Effect.scoped))

  it.live("a bare LF or the size limit after spilling: refused, the file removed", () =>
    Effect.gen(function*() {
      const { dir, reader } = yield* spilling(100)
      reader.push(Buffer.from("Subject: x\r\n\r\n" + "y".repeat(200) + "\r\n"))
      yield* Effect.sleep("20 millis")
      assert.strictEqual(readdirSync(dir).length, 1, "spilled")
      reader.push(Buffer.from("bare\nLF\r\n"))
      assert.strictEqual((yield* Effect.promise(() => reader.finish()))._tag, "BareLf")
      yield* Effect.sleep("20 millis")
      assert.deepStrictEqual(readdirSync(dir), [])
    }).pipe(Effect.scoped))

  it.effect("a spill directory that is gone: SpillFailed, not a crash", () =>
    Effect.gen(function*() {
      const reader = new DataReader.DataReader(10_000_000, { threshold: 32, dir: join(tmpdir(), "cartero-no-such-dir", "x") })
      reader.push(Buffer.from("Subject: x\r\n\r\n" + "y".repeat(100) + "\r\n"))
      assert.strictEqual((yield* Effect.promise(() => reader.finish()))._tag, "SpillFailed")
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
