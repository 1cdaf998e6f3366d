import { TempDir, TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Delivery from "../src/Delivery.ts"

const { address } = TestSession
const tempDir = TempDir.make()
const { listFiles } = TempDir

const encoder = new TextEncoder()
const prepend = "Received: from client.test by mx.test; Thu, 26 Nov 2026 05:00:00 +0000\r\n"
const raw = encoder.encode("Subject: hi\r\n\r\nhello\r\n")
const read = (path: string) => Effect.promise(() => Fs.readFile(path, "utf8"))
const mode = (path: string) => Effect.promise(() => Fs.stat(path)).pipe(Effect.map((s) => s.mode & 0o777))

describe("Delivery.deliver", () => {
  it.live("writes prepend + raw into new/ of every mailbox, with Maildir names and private modes", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const paths = yield* Delivery.deliver(
        { root, hostname: "mx.test" },
        [address("alice@example.com"), address("Bob@Example.com")],
        prepend,
        raw
      )
      assert.strictEqual(paths.length, 2)
      assert.deepStrictEqual((yield* listFiles(root)).map((f) => f.replace(/[^/]+$/, "*")), [
        "example.com/alice/Maildir/new/*",
        "example.com/bob/Maildir/new/*"
      ])
      const size = Buffer.byteLength(prepend) + raw.length
      for (const path of paths) {
        assert.strictEqual(yield* read(path), prepend + "Subject: hi\r\n\r\nhello\r\n")
        assert.match(Path.basename(path), new RegExp(`^\\d+\\.M\\d+P${process.pid}Q\\d+\\.mx\\.test,S=${size}$`))
        assert.strictEqual(yield* mode(path), 0o600)
      }
      for (const dir of ["example.com", "example.com/alice", "example.com/alice/Maildir", "example.com/alice/Maildir/cur"]) {
        assert.strictEqual(yield* mode(Path.join(root, dir)), 0o700, dir)
      }
    }).pipe(Effect.scoped))

  it.live("a spilled message is copied from its file into every mailbox, chunk by chunk, byte for byte", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const spill = Path.join(yield* tempDir, "spilled.eml")
      const big = "Subject: big\r\n\r\n" + Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(60)}\r\n`).join("")
      yield* Effect.promise(() => Fs.writeFile(spill, big))
      const paths = yield* Delivery.deliver({ root }, [address("alice@example.com"), address("bob@example.com")], prepend, {
        _tag: "Spilled",
        path: spill,
        size: Buffer.byteLength(big)
      })
      assert.strictEqual(paths.length, 2)
      for (const p of paths) assert.strictEqual(yield* read(p), prepend + big)
    }))

  it.live("a spilled message with an edited header block: the block in place of the file's first octets, size to match", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const spill = Path.join(yield* tempDir, "spilled.eml")
      const block = "Bcc: carol@example.com\r\nSubject: big\r\n\r\n"
      const body = Array.from({ length: 20_000 }, (_, i) => `line ${i} ${"x".repeat(60)}\r\n`).join("")
      yield* Effect.promise(() => Fs.writeFile(spill, block + body))
      const edited = "Subject: big\r\n\r\n"
      const paths = yield* Delivery.deliver({ root }, [address("alice@example.com")], prepend, {
        _tag: "Spilled",
        path: spill,
        size: Buffer.byteLength(block + body),
        head: { bytes: Buffer.from(edited), replaces: block.length }
      })
      const expected = prepend + edited + body
      assert.strictEqual(yield* read(paths[0] ?? ""), expected)
      assert.match(Path.basename(paths[0] ?? ""), new RegExp(`,S=${Buffer.byteLength(expected)}$`))
    }))

  it.live("one copy per mailbox when two addresses fold to the same one", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const paths = yield* Delivery.deliver({ root }, [address("alice@example.com"), address("ALICE@EXAMPLE.COM")], "", raw)
      assert.strictEqual(paths.length, 1)
      assert.strictEqual((yield* listFiles(root)).length, 1)
    }).pipe(Effect.scoped))

  it.live("a failing mkdir leaves nothing and names the path", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      yield* Effect.promise(() => Fs.writeFile(Path.join(root, "blocked.test"), "not a directory"))
      const exit = yield* Effect.exit(
        Delivery.deliver({ root }, [address("alice@example.com"), address("bob@blocked.test")], prepend, raw)
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "MaildirError")
      assert.deepStrictEqual(yield* listFiles(root), ["blocked.test"])
    }).pipe(Effect.scoped))

  it.live("a failure on the second mailbox removes the first copy from tmp/ (nothing reached new/)", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      // bob's tmp/ is a file: his mailbox cannot be made, after alice's copy was written to her tmp/
      const bobTmp = Path.join(root, "example.com/bob/Maildir/tmp")
      yield* Effect.promise(() => Fs.mkdir(Path.dirname(bobTmp), { recursive: true }).then(() => Fs.writeFile(bobTmp, "x")))
      const result = yield* Effect.exit(Delivery.deliver({ root }, [address("alice@example.com"), address("bob@example.com")], prepend, raw))
      assert.isTrue(Exit.isFailure(result))
      assert.include(String(result), "mkdir")
      assert.deepStrictEqual(yield* listFiles(root), ["example.com/bob/Maildir/tmp"])
    }).pipe(Effect.scoped))

  it.live("undo after a successful write removes every copy from new/, and may run twice", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const delivery = Delivery.prepare({ root }, [address("alice@example.com"), address("bob@example.com")])
      const paths = yield* Delivery.write(delivery, prepend, raw)
      assert.strictEqual((yield* listFiles(root)).filter((f) => f.includes("/new/")).length, 2)
      assert.deepStrictEqual(paths, delivery.files.map((f) => f.new))
      yield* Delivery.undo(delivery)
      yield* Delivery.undo(delivery)
      assert.deepStrictEqual(yield* listFiles(root), [])
    }).pipe(Effect.scoped))

  it.live("a write cut short leaves nothing once undone, even when its last file-system call completes later", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const big = new Uint8Array(8 * 1024 * 1024).fill(0x61)
      for (let i = 0; i < 5; i++) {
        const delivery = Delivery.prepare({ root }, [address("alice@example.com"), address("bob@example.com")])
        const fiber = yield* Effect.forkChild(Delivery.write(delivery, prepend, big))
        // interrupt at a different point of the write each round
        yield* Effect.sleep(`${i * 3} millis`)
        yield* Fiber.interrupt(fiber)
        yield* Delivery.undo(delivery)
        assert.deepStrictEqual(yield* listFiles(root), [], `round ${i}`)
      }
      // nothing shows up afterwards either
      yield* Effect.sleep("50 millis")
      assert.deepStrictEqual(yield* listFiles(root), [])
    }).pipe(Effect.scoped))

  it.live("concurrent deliveries to one mailbox never collide", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const paths = yield* Effect.forEach(
        Array.from({ length: 40 }, (_, i) => i),
        (i) => Delivery.deliver({ root }, [address("alice@example.com")], "", encoder.encode(`Subject: ${i}\r\n\r\n`)),
        { concurrency: 8 }
      )
      const files = yield* listFiles(root)
      assert.strictEqual(files.length, 40)
      assert.strictEqual(new Set(paths.flat()).size, 40)
      const bodies = yield* Effect.forEach(paths.flat(), read)
      assert.strictEqual(new Set(bodies).size, 40)
    }).pipe(Effect.scoped))
})
