import { TempDir, TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Schedule } from "effect"
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

  it.live("a failing write of the second copy removes the first from tmp/", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const result = yield* Effect.exit(Effect.acquireUseRelease(
        Delivery.start({ root }),
        (d) =>
          Effect.gen(function*() {
            yield* d.addRecipient(address("alice@example.com"))
            yield* d.addRecipient(address("bob@example.com"))
            // bob's tmp/ turns into a file: his copy cannot be created
            const tmp = Path.join(root, "example.com/bob/Maildir/tmp")
            yield* Effect.promise(() => Fs.rm(tmp, { recursive: true }).then(() => Fs.writeFile(tmp, "x")))
            yield* d.body(prepend, raw)
            return yield* d.commit
          }),
        (d, exit) => (Exit.isSuccess(exit) ? Effect.void : d.abort)
      ))
      assert.isTrue(Exit.isFailure(result))
      assert.include(String(result), "open")
      assert.deepStrictEqual(yield* listFiles(root), ["example.com/bob/Maildir/tmp"])
    }).pipe(Effect.scoped))

  it.live("a commit failing half-way removes the copies already moved to new/", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const result = yield* Effect.exit(Effect.acquireUseRelease(
        Delivery.start({ root }),
        (d) =>
          Effect.gen(function*() {
            yield* d.addRecipient(address("alice@example.com"))
            yield* d.addRecipient(address("bob@example.com"))
            yield* d.body(prepend, raw)
            assert.strictEqual((yield* listFiles(root)).filter((f) => f.includes("/tmp/")).length, 2)
            yield* Effect.promise(() => Fs.rm(Path.join(root, "example.com/bob/Maildir/new"), { recursive: true }))
            return yield* d.commit
          }),
        (d, exit) => (Exit.isSuccess(exit) ? Effect.void : d.abort)
      ))
      assert.isTrue(Exit.isFailure(result))
      assert.include(String(result), "rename")
      assert.deepStrictEqual(yield* listFiles(root), [])
    }).pipe(Effect.scoped))

  it.live("an interrupted delivery leaves nothing", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const fiber = yield* Effect.acquireUseRelease(
        Delivery.start({ root }),
        (d) =>
          d.addRecipient(address("alice@example.com")).pipe(
            Effect.andThen(d.body(prepend, raw)),
            Effect.andThen(Effect.never)
          ),
        (d, exit) => (Exit.isSuccess(exit) ? Effect.void : d.abort)
      ).pipe(Effect.forkChild)
      // wait (bounded) until the tmp file exists, then interrupt
      yield* listFiles(root).pipe(
        Effect.repeat({ until: (files) => files.length === 1, schedule: Schedule.spaced("10 millis") }),
        Effect.timeout("5 seconds")
      )
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* listFiles(root), [])
    }).pipe(Effect.scoped))

  it.live("methods out of order fail with a state error", () =>
    Effect.gen(function*() {
      const root = yield* tempDir
      const d = yield* Delivery.start({ root })
      const early = yield* Effect.exit(d.commit)
      assert.isTrue(Exit.isFailure(early))
      assert.include(String(early), "state")
      yield* d.body("", raw)
      assert.isTrue(Exit.isFailure(yield* Effect.exit(d.addRecipient(address("late@example.com")))))
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
