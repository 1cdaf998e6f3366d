import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Path from "node:path"
import * as Names from "../src/Names.ts"

describe("Names", () => {
  it.effect("a mailbox address maps to its Maildir with the plugin's escaping, folded", () =>
    Effect.sync(() => {
      assert.strictEqual(Names.mailboxDir("/r", "Bob@LocalHost"), Path.join("/r", "localhost", "bob", "Maildir"))
      assert.strictEqual(Names.mailboxDir("/r", "a b@bücher.example"), Path.join("/r", "xn--bcher-kva.example", "a%20b", "Maildir"))
      assert.strictEqual(Names.mailboxDir("/r", "x@[192.0.2.1]"), Path.join("/r", "%5B192.0.2.1%5D", "x", "Maildir"))
      assert.strictEqual(Names.mailboxDir("/r", "@localhost"), Path.join("/r", "localhost", "%", "Maildir"))
      assert.isUndefined(Names.mailboxDir("/r", `${"a".repeat(2000)}@x`))
    }))

  it.effect.each(["no-at", "x@", "x@a/b", "x@..%2F", "x@a\u0000", "../x@.."])("refuses %j", (address) =>
    Effect.sync(() => {
      const dir = Names.mailboxDir("/r", address)
      if (dir !== undefined) {
        // Whatever is accepted stays three levels under the root.
        assert.strictEqual(Path.relative("/r", dir).split(Path.sep).length, 3)
        assert.notInclude(Path.relative("/r", dir), "..")
      }
      if (["no-at", "x@", "x@a/b", "x@a\u0000"].includes(address)) assert.isUndefined(dir)
    }))

  it.effect("ids are the base64url of the unique name; ids that could leave the Maildir are refused", () =>
    Effect.sync(() => {
      const unique = "1764583200.M1P2Q3.host\\057name,S=10"
      assert.strictEqual(Names.uniqueOfId(Names.idOf(unique)), unique)
      assert.match(Names.idOf(unique), /^[A-Za-z0-9_-]+$/)
      const b64 = (s: string) => Buffer.from(s).toString("base64url")
      for (const bad of ["../x", "..", ".", ".hidden", "a/b", "a:2,S", "a\u0000b", ""]) assert.isUndefined(Names.uniqueOfId(b64(bad)), bad)
      for (const bad of ["..", "a/b", "a=", "a+b", "%2E%2E", "x".repeat(2000)]) assert.isUndefined(Names.uniqueOfId(bad), bad)
      // Not canonical base64url (trailing bits set): another spelling of the same name is refused.
      assert.isUndefined(Names.uniqueOfId("YR"))
    }))

  it.effect("unique names, flags and arrival", () =>
    Effect.sync(() => {
      assert.strictEqual(Names.uniqueOf("123.M1P1Q1.h,S=5:2,FS"), "123.M1P1Q1.h,S=5")
      assert.strictEqual(Names.flagsOf("123.M1P1Q1.h,S=5:2,FS"), "FS")
      assert.strictEqual(Names.flagsOf("123.M1P1Q1.h"), "")
      assert.strictEqual(Names.arrivalSeconds("1764583200.M1P1Q1.h"), 1764583200)
      assert.isUndefined(Names.arrivalSeconds("foreign-name"))
      assert.strictEqual(Names.addressOf("localhost", "%2Ebob"), ".bob@localhost")
      assert.isUndefined(Names.addressOf("localhost", "bad%zz"))
    }))
})
