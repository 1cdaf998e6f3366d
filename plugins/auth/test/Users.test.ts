import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as Users from "../src/Users.ts"
import { hashOf } from "./Session.fixture.ts"

const ok = <A>(result: Result.Result<A, Users.AuthConfigError>): A => {
  if (Result.isFailure(result)) throw new Error(result.failure.message)
  return result.success
}
const err = <A>(result: Result.Result<A, Users.AuthConfigError>): Users.AuthConfigError => {
  if (Result.isSuccess(result)) throw new Error("expected a failure")
  return result.failure
}

describe("Users", () => {
  it.effect("parses users, aliases, comments, blank lines, CRLF and a BOM", () =>
    Effect.gen(function*() {
      const h = yield* hashOf("pw")
      const text = `\uFEFF# users\r\n\r\nAlice@Example.TEST:${h}\r\n  bob@example.test:${h}:Robert@example.test, sales@EXAMPLE.test\r\nrelay-bot:${h}:noreply@example.test\r\n`
      const users = ok(Users.parseFile(text, "/etc/users"))
      assert.deepStrictEqual(users.map((u) => u.name), ["alice@example.test", "bob@example.test", "relay-bot"])
      assert.deepStrictEqual(users.map((u) => u.line), [3, 4, 5])
      assert.deepStrictEqual([...(users[0]?.addresses ?? [])], ["alice@example.test"])
      assert.deepStrictEqual([...(users[1]?.addresses ?? [])], ["bob@example.test", "robert@example.test", "sales@example.test"])
      assert.deepStrictEqual([...(users[2]?.addresses ?? [])], ["noreply@example.test"])
    }))

  it("folds names: domains to ASCII lower case, local parts and plain names NFC lower case", () => {
    assert.strictEqual(Users.foldName("Alice@Example.Test"), "alice@example.test")
    assert.strictEqual(Users.foldName("ALICE@B\u00dcCHER.example"), "alice@xn--bcher-kva.example")
    assert.strictEqual(Users.foldName("Relay-Bot"), "relay-bot")
    assert.strictEqual(Users.foldName("bad name"), undefined)
    assert.strictEqual(Users.foldName("a@b@c"), undefined)
    assert.strictEqual(Users.foldName(""), undefined)
  })

  it.effect("malformed lines: the error names the file and line and never repeats the hash or the line", () =>
    Effect.gen(function*() {
      const h = yield* hashOf("pw")
      const secretKey = h.split("$")[5] ?? ""
      const bad: ReadonlyArray<readonly [string, RegExp]> = [
        ["hunter2", /expected user:hash/],
        [h, /expected user:hash/],
        [`alice@example.test:${h.replace("scrypt", "md5")}`, /not of the form/],
        [`alice@example.test:${h.replace("$8$", "$99$")}`, /r must be/],
        [`bad name:${h}`, /user name/],
        [`alice@example.test:${h}:not-an-address`, /alias 1 is not an email address/],
        [`alice@example.test:${h}:a@example.test:extra`, /expected user:hash/]
      ]
      for (const [line, reason] of bad) {
        const error = err(Users.parseFile(`# header\n\n${line}\n`, "/etc/users"))
        assert.strictEqual(error._tag, "AuthConfigError")
        assert.strictEqual(error.line, 3)
        assert.match(error.message, /^\/etc\/users:3: /)
        assert.match(error.message, reason)
        assert.notInclude(error.message, secretKey)
        assert.notInclude(error.message, "hunter2")
      }
    }))

  it.effect("a user defined twice (case-insensitively) is an error naming both places", () =>
    Effect.gen(function*() {
      const h = yield* hashOf("pw")
      const users = ok(Users.parseFile(`alice@example.test:${h}\nALICE@example.test:${h}\n`, "/etc/users"))
      const error = err(Users.make(users))
      assert.strictEqual(error.message, "/etc/users:2: user alice@example.test is already defined at /etc/users:1")
    }))

  it.effect("inline form: comma-separated entries; items without ':' continue the alias list", () =>
    Effect.gen(function*() {
      const h = yield* hashOf("pw")
      const users = ok(Users.parseInline(`alice@example.test:${h}:a1@example.test,a2@example.test, bob:${h}`, "CARTERO_AUTH_USERS"))
      assert.deepStrictEqual(users.map((u) => u.name), ["alice@example.test", "bob"])
      assert.deepStrictEqual([...(users[0]?.addresses ?? [])], ["alice@example.test", "a1@example.test", "a2@example.test"])
      const error = err(Users.parseInline(`alice@example.test:${h},bob:nope`, "CARTERO_AUTH_USERS"))
      assert.strictEqual(error.line, 2)
      assert.match(error.message, /^CARTERO_AUTH_USERS:2: the hash is not of the form/)
      assert.match(err(Users.parseInline("justapassword", "CARTERO_AUTH_USERS")).message, /:1: expected user:hash/)
    }))
})
