import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import * as PasswordHash from "../src/PasswordHash.ts"
import { fast, hashOf } from "./Session.fixture.ts"

const parsed = (text: string): PasswordHash.Hash => {
  const result = PasswordHash.parse(text)
  if (Result.isFailure(result)) throw new Error(result.failure)
  return result.success
}

describe("PasswordHash", () => {
  it.effect("the default hash has the documented shape and verifies the right password only", () =>
    Effect.gen(function*() {
      const text = yield* PasswordHash.hash("correct horse")
      assert.match(text, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
      const hash = parsed(text)
      assert.isTrue(yield* PasswordHash.verify("correct horse", hash))
      assert.isFalse(yield* PasswordHash.verify("correct horse ", hash))
      assert.isFalse(yield* PasswordHash.verify("", hash))
    }))

  it.effect("salts are random: the same password hashes differently, both verify", () =>
    Effect.gen(function*() {
      const a = yield* hashOf("s3cret")
      const b = yield* hashOf("s3cret")
      assert.notStrictEqual(a, b)
      assert.isTrue(yield* PasswordHash.verify("s3cret", parsed(a)))
      assert.isTrue(yield* PasswordHash.verify("s3cret", parsed(b)))
    }))

  it.effect("passwords are NFC-normalised: composed and decomposed accents match", () =>
    Effect.gen(function*() {
      const hash = parsed(yield* hashOf("caf\u00e9"))
      assert.isTrue(yield* PasswordHash.verify("cafe\u0301", hash))
    }))

  it.effect("format and parse round-trip; padded base64 is accepted", () =>
    Effect.gen(function*() {
      const text = yield* hashOf("x")
      assert.strictEqual(PasswordHash.format(parsed(text)), text)
      const [head = "", salt = "", key = ""] = [text.split("$").slice(0, 4).join("$"), text.split("$")[4], text.split("$")[5]]
      const padded = `${head}$${salt}==$${key}=`
      assert.isTrue(yield* PasswordHash.verify("x", parsed(padded)))
    }))

  it("malformed hashes are refused without echoing any of their content", () => {
    const salt = Buffer.alloc(16, 1).toString("base64")
    const key = Buffer.alloc(32, 2).toString("base64")
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ["hunter2", /not of the form/],
      [`bcrypt$16384$8$1$${salt}$${key}`, /not of the form/],
      [`scrypt$1000$8$1$${salt}$${key}`, /power of two/],
      [`scrypt$512$8$1$${salt}$${key}`, /power of two >= 1024/],
      [`scrypt$16384$0$1$${salt}$${key}`, /r must be/],
      [`scrypt$16384$8$99$${salt}$${key}`, /p must be/],
      [`scrypt$1048576$8$1$${salt}$${key}`, /256 MiB/],
      [`scrypt$16384$8$1$not*base64$${key}`, /salt/],
      [`scrypt$16384$8$1$${salt}$${Buffer.alloc(8).toString("base64")}`, /key/],
      [`scrypt$16384$8$1$${salt}$${key}$extra`, /not of the form/]
    ]
    for (const [text, reason] of cases) {
      const result = PasswordHash.parse(text)
      assert.isTrue(Result.isFailure(result), text)
      if (Result.isFailure(result)) {
        assert.match(result.failure, reason)
        assert.notInclude(result.failure, salt)
        assert.notInclude(result.failure, "hunter2")
      }
    }
  })

  it.effect("strongest: the costliest parameters of a set of hashes (N·r·p, then key length), the defaults for none", () =>
    Effect.gen(function*() {
      const a = parsed(yield* PasswordHash.hash("pw", { ...fast, N: 4096, r: 8, p: 1 }))
      const b = parsed(yield* PasswordHash.hash("pw", { ...fast, N: 2048, r: 8, p: 4 }))
      const c = parsed(yield* PasswordHash.hash("pw", { ...fast, N: 4096, r: 8, p: 1, keyLength: 48 }))
      assert.deepStrictEqual(PasswordHash.strongest([a]), { ...fast, N: 4096 })
      assert.deepStrictEqual(PasswordHash.strongest([a, b]), { ...fast, N: 2048, p: 4 })
      assert.deepStrictEqual(PasswordHash.strongest([a, c]), { ...fast, N: 4096, keyLength: 48 })
      assert.deepStrictEqual(PasswordHash.strongest([]), PasswordHash.defaults)
      assert.isFalse(PasswordHash.mixed([a, c]))
      assert.isTrue(PasswordHash.mixed([a, b]))
      const dummy = yield* PasswordHash.dummy(PasswordHash.strongest([a, b]))
      assert.deepStrictEqual([dummy.N, dummy.r, dummy.p, dummy.key.length, dummy.salt.length], [2048, 8, 4, 32, 16])
    }))

  it.effect("the parameters of the stored hash are used to verify (old hashes keep working)", () =>
    Effect.gen(function*() {
      const text = yield* PasswordHash.hash("pw", { ...fast, N: 2048, r: 4, p: 2, keyLength: 24 })
      assert.match(text, /^scrypt\$2048\$4\$2\$/)
      assert.isTrue(yield* PasswordHash.verify("pw", parsed(text)))
    }))
})
