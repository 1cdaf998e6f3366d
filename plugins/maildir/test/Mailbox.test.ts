import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Path from "node:path"
import * as Mailbox from "../src/Mailbox.ts"

const { address } = TestSession

describe("Mailbox.segment", () => {
  it.effect.each([
    ["alice", "alice"],
    ["a.b+tag", "a.b+tag"],
    ["..", "%2E."],
    [".", "%2E"],
    [".hidden", "%2Ehidden"],
    ["a/b", "a%2Fb"],
    ["../../etc", "%2E.%2F..%2Fetc"],
    ["a\u0000b", "a%00b"],
    ["100%", "100%25"],
    ["with space", "with%20space"],
    ["x:y\\z", "x%3Ay%5Cz"],
    ["josé", "josé"],
    ["", "%"],
    ["\"\"", "%22%22"],
    ["\ud800", "%uD800"],
    ["\ud801x", "%uD801x"],
    ["\ufffd", "%EF%BF%BD"]
  ] as const)("%j → %s", ([input, expected]) => Effect.sync(() => assert.strictEqual(Mailbox.segment(input), expected)))

  it.effect.prop("never a path separator, NUL, '.', '..' or a hidden name", [Schema.String], ([text]) =>
    Effect.sync(() => {
      const s = Mailbox.segment(text)
      assert.notInclude(s, "/")
      assert.notInclude(s, "\u0000")
      assert.isFalse(s.startsWith("."))
      assert.isTrue(s.length > 0)
    }))

  it.effect.prop("injective", [Schema.String, Schema.String], ([a, b]) =>
    Effect.sync(() => assert.strictEqual(Mailbox.segment(a) === Mailbox.segment(b), a === b)))
})

describe("Mailbox.dir", () => {
  it.effect("folds the local part, uses the ASCII domain and stays under the root", () =>
    Effect.sync(() => {
      assert.strictEqual(Mailbox.dir("/srv/mail", address("Alice@Example.COM")), "/srv/mail/example.com/alice/Maildir")
      assert.strictEqual(Mailbox.dir("/srv/mail", address("ANA@bücher.example")), "/srv/mail/xn--bcher-kva.example/ana/Maildir")
      assert.strictEqual(Mailbox.dir("/srv/mail", address("\"../..\"@example.com")), "/srv/mail/example.com/%2E.%2F../Maildir")
      assert.strictEqual(Mailbox.dir("/srv/mail", address("x@[192.0.2.1]")), "/srv/mail/%5B192.0.2.1%5D/x/Maildir")
      const dir = Mailbox.dir("relative", address("bob@example.com"))
      assert.isTrue(Path.isAbsolute(dir))
    }))
})

describe("Mailbox.unsegment", () => {
  it.effect.each(["alice", "", ".hidden", "a/b", "ü@x", "%", "100%", "\uD800x", "a b\u0000c"])("round trip of %j", (text) =>
    Effect.sync(() => assert.strictEqual(Mailbox.unsegment(Mailbox.segment(text)), text)))

  it.effect.each(["%zz", "%C3", "%41", "a%", ".x", "A%2Fb%"])("refuses %j, which segment never writes", (name) =>
    Effect.sync(() => assert.isUndefined(Mailbox.unsegment(name))))
})
