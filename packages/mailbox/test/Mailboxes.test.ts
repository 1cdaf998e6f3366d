import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Stream } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Lru } from "../src/Lru.ts"
import * as Mailboxes from "../src/Mailboxes.ts"

const tmpRoot = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "cartero-mailbox-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

const deliver = (root: string, name: string, message: string) => {
  const dir = Path.join(root, "localhost", "bob", "Maildir")
  for (const d of ["tmp", "new", "cur"]) Fs.mkdirSync(Path.join(dir, d), { recursive: true })
  Fs.writeFileSync(Path.join(dir, "new", name), message)
  return Buffer.from(name).toString("base64url")
}

const big = (lines: number) =>
  `From: a@example.com\r\nTo: bob@localhost\r\nSubject: big one\r\nContent-Type: text/plain\r\n\r\n${"0123456789".repeat(10).concat("\r\n").repeat(lines)}`

describe("Mailboxes", () => {
  it.live("bounded: a summary reads a prefix but reports the whole size; a view past its limits is truncated", () =>
    Effect.gen(function*() {
      const root = yield* tmpRoot
      const message = big(200) // ~20 KiB
      const id = deliver(root, "1764583200.M1P1Q1.h,S=1", message)
      const m = yield* Mailboxes.make({ root, maxSummaryBytes: 1024, maxViewBytes: 4096, limits: { maxTextChars: 500, snippetChars: 20 } })
      const page = yield* m.messages("bob@localhost", {})
      assert.deepInclude(page.messages[0], { id, subject: "big one", size: message.length, snippet: "01234567890123456789" })
      const view = yield* m.message("bob@localhost", id, (i) => `/p/${i}`)
      assert.isTrue(view.truncated)
      assert.strictEqual(view.text?.length, 500)
      const whole = yield* Mailboxes.make({ root })
      const full = yield* whole.message("bob@localhost", id, (i) => `/p/${i}`)
      assert.isFalse(full.truncated)
      assert.strictEqual(new TextDecoder().decode(yield* whole.raw("bob@localhost", id)), message)
    }).pipe(Effect.scoped))

  it.live("a message flagged by another process meanwhile is still found; changes cover new mailboxes", () =>
    Effect.gen(function*() {
      const root = yield* tmpRoot
      const m = yield* Mailboxes.make({ root, pollInterval: Duration.millis(50) })
      const events = yield* m.changes.pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* Effect.sleep(Duration.millis(150))
      const name = "1764583200.M1P1Q1.h,S=1"
      const id = deliver(root, name, big(1))
      const dir = Path.join(root, "localhost", "bob", "Maildir")
      yield* Effect.sleep(Duration.millis(200))
      Fs.renameSync(Path.join(dir, "new", name), Path.join(dir, "cur", `${name}:2,S`))
      assert.isTrue((yield* m.message("bob@localhost", id, String)).seen)
      assert.isFalse(yield* m.setSeen("bob@localhost", id, false))
      yield* m.remove("bob@localhost", id)
      const seen = yield* Fiber.join(events).pipe(Effect.timeout(Duration.seconds(5)))
      assert.deepStrictEqual(Array.from(seen), [
        { _tag: "mail", mailbox: "bob@localhost", id },
        { _tag: "mail-removed", mailbox: "bob@localhost", id }
      ])
    }).pipe(Effect.scoped))

  it.effect("the LRU keeps the most recently used entries", () =>
    Effect.sync(() => {
      const lru = new Lru<string, number>(2)
      lru.set("a", 1)
      lru.set("b", 2)
      assert.strictEqual(lru.get("a"), 1)
      lru.set("c", 3)
      assert.isUndefined(lru.get("b"))
      assert.strictEqual(lru.get("a"), 1)
      assert.strictEqual(lru.get("c"), 3)
      assert.strictEqual(lru.size, 2)
    }))
})
