import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as HeaderEdits from "../src/HeaderEdits.ts"
import * as Message from "../src/Message.ts"
import { transaction } from "./helpers.ts"

describe("HeaderEdits", () => {
  it.effect("keeps the requests of a transaction in order; another transaction has none", () =>
    Effect.gen(function*() {
      const txn = transaction()
      assert.deepStrictEqual(yield* HeaderEdits.requested(txn), [])
      const matches = (v: string) => v.startsWith("mx.test;")
      yield* HeaderEdits.remove(txn, { name: "Authentication-Results", matches })
      yield* HeaderEdits.remove(txn, { name: "Received", where: "added" })
      const requested = yield* HeaderEdits.requested(txn)
      assert.deepStrictEqual(requested.map((r) => r.name), ["Authentication-Results", "Received"])
      assert.strictEqual(requested[0]?.matches, matches)
      assert.deepStrictEqual(yield* HeaderEdits.requested(transaction()), [])
    }))

  it("where: received by default, added, or both", () => {
    const of = (where?: HeaderEdits.Where) => [
      HeaderEdits.appliesTo({ name: "X", where }, "received"),
      HeaderEdits.appliesTo({ name: "X", where }, "added")
    ]
    assert.deepStrictEqual(of(), [true, false])
    assert.deepStrictEqual(of("received"), [true, false])
    assert.deepStrictEqual(of("added"), [false, true])
    assert.deepStrictEqual(of("both"), [true, true])
  })

  it.effect("a name that is no field name is a defect of the calling plugin", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(HeaderEdits.remove(transaction(), { name: "Bad Name:" }))
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
    }))
})

describe("Message.Spilled with a replaced head", () => {
  const withFile = <A, E>(content: string, f: (path: string) => Effect.Effect<A, E>) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "cartero-core-spill-"))
        const path = Path.join(dir, "m.eml")
        Fs.writeFileSync(path, content, "latin1")
        return { dir, path }
      }),
      ({ path }) => f(path),
      ({ dir }) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
    )
  const file = "Bcc: carol@example.test\r\nSubject: hi\r\n\r\n" + "body line\r\n".repeat(50_000)
  const head = { bytes: new TextEncoder().encode("Subject: hi\r\n\r\n"), replaces: "Bcc: carol@example.test\r\nSubject: hi\r\n\r\n".length }
  const expected = "Subject: hi\r\n\r\n" + "body line\r\n".repeat(50_000)
  const message = (path: string, withHead: boolean): Message.Message => ({
    headers: { get: () => undefined, getAll: () => [] },
    prepend: "Received: x\r\n",
    data: withHead ? { _tag: "Spilled", path, size: file.length, head } : { _tag: "Spilled", path, size: file.length }
  })
  const text = (b: Uint8Array) => Buffer.from(b).toString("latin1")

  it.effect("stream, bytes, toBytes and the sizes read the head instead of the octets it replaces", () =>
    withFile(file, (path) =>
      Effect.gen(function*() {
        const edited = message(path, true)
        assert.strictEqual(text(yield* Message.bytes(edited)), expected)
        const chunks = yield* Stream.runCollect(Message.stream(edited))
        assert.isAbove(chunks.length, 2, "read in chunks, the head first")
        assert.strictEqual(chunks.map(text).join(""), expected)
        assert.strictEqual(text(yield* Message.toBytes(edited)), "Received: x\r\n" + expected)
        assert.strictEqual((yield* Stream.runCollect(Message.streamAll(edited))).map(text).join(""), "Received: x\r\n" + expected)
        assert.strictEqual(Message.dataSize(edited), expected.length)
        assert.strictEqual(Message.size(edited), expected.length + "Received: x\r\n".length)
        assert.strictEqual(Message.sizeOf(edited.data), expected.length)
      })))

  it.effect("without a head the file is read as it is", () =>
    withFile(file, (path) =>
      Effect.gen(function*() {
        const plain = message(path, false)
        assert.strictEqual(text(yield* Message.bytes(plain)), file)
        assert.strictEqual((yield* Stream.runCollect(Message.stream(plain))).map(text).join(""), file)
        assert.strictEqual(Message.dataSize(plain), file.length)
      })))

  it.effect("a head that replaces the whole file", () =>
    withFile("Bcc: x\r\n\r\n", (path) =>
      Effect.gen(function*() {
        const whole: Message.Message = {
          headers: { get: () => undefined, getAll: () => [] },
          prepend: "",
          data: { _tag: "Spilled", path, size: 10, head: { bytes: new TextEncoder().encode("\r\n"), replaces: 10 } }
        }
        assert.strictEqual(text(yield* Message.bytes(whole)), "\r\n")
        assert.strictEqual((yield* Stream.runCollect(Message.stream(whole))).map(text).join(""), "\r\n")
        assert.strictEqual(Message.dataSize(whole), 2)
      })))
})

describe("MessageReadError", () => {
  it("describes any cause without throwing: errors, plain objects, null-prototype objects", () => {
    const e = (cause: unknown) => new Message.MessageReadError({ path: "/spill/x", cause }).message
    assert.strictEqual(e(new Error("ENOENT: gone")), "cannot read the spilled message /spill/x: ENOENT: gone")
    assert.strictEqual(e({ message: "odd" }), "cannot read the spilled message /spill/x: odd")
    assert.match(e(Object.assign(Object.create(null), { code: 1 })), /cannot read the spilled message \/spill\/x: .*code: 1/)
  })
})
