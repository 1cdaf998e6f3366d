import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spf } from "mailauth"
import * as Resolver from "../src/Resolver.ts"
import * as MailAuthTesting from "../src/testing.ts"

const zones = {
  "example.test": { TXT: ["v=spf1 ip4:127.0.0.1 mx -all"], MX: [{ priority: 10, exchange: "mx.example.test" }] },
  "mx.example.test": { A: ["127.0.0.9"], AAAA: ["::9"] },
  "9.0.0.127.in-addr.arpa": { PTR: ["mx.example.test"] },
  "broken.test": { fail: "SERVFAIL" as const },
  "slow.test": { fail: "TIMEOUT" as const },
  "ptr.test": { TXT: ["v=spf1 ptr -all"] }
}

const codeOf = (e: unknown): string | undefined =>
  typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined

describe("Resolver", () => {
  it.live("answers TXT as records of strings, MX in Node's shape, A, AAAA and PTR by reverse name", () =>
    Effect.gen(function*() {
      const resolve = yield* Resolver.fromContext
      assert.deepStrictEqual(yield* Effect.promise(() => resolve("example.test", "TXT")), [["v=spf1 ip4:127.0.0.1 mx -all"]])
      assert.deepStrictEqual(yield* Effect.promise(() => resolve("example.test", "MX")), [{ exchange: "mx.example.test", priority: 10 }] as unknown as Array<string>)
      assert.deepStrictEqual(yield* Effect.promise(() => resolve("mx.example.test", "A")), ["127.0.0.9"])
      assert.deepStrictEqual(yield* Effect.promise(() => resolve("mx.example.test", "AAAA")), ["::9"])
      assert.deepStrictEqual(yield* Effect.promise(() => resolve("9.0.0.127.in-addr.arpa", "PTR")), ["mx.example.test"])
    }).pipe(Effect.provide(MailAuthTesting.dns(zones))))

  it.live("fails with Node's codes: ENOTFOUND, ENODATA, ESERVFAIL, ETIMEOUT, EBADNAME", () =>
    Effect.gen(function*() {
      const resolve = yield* Resolver.fromContext
      const code = (name: string, type: string) => Effect.promise(() => resolve(name, type).then(() => "ok", codeOf))
      assert.strictEqual(yield* code("absent.test", "TXT"), "ENOTFOUND")
      assert.strictEqual(yield* code("mx.example.test", "TXT"), "ENODATA")
      assert.strictEqual(yield* code("broken.test", "TXT"), "ESERVFAIL")
      assert.strictEqual(yield* code("slow.test", "A"), "ETIMEOUT")
      assert.strictEqual(yield* code("example.test", "SRV"), "EBADNAME")
      assert.strictEqual(yield* code("not-a-reverse.test", "PTR"), "EBADNAME")
    }).pipe(Effect.provide(MailAuthTesting.dns(zones))))

  it.live("drives mailauth's SPF: pass by ip4, pass by mx, fail, ptr, temperror on SERVFAIL and timeout", () =>
    Effect.gen(function*() {
      const resolver = yield* Resolver.fromContext
      const check = (sender: string, ip: string) =>
        Effect.promise(() => spf({ sender, ip, helo: "client.test", mta: "mx.local.test", resolver }).then((r) => r.status.result))
      assert.strictEqual(yield* check("a@example.test", "127.0.0.1"), "pass")
      assert.strictEqual(yield* check("a@example.test", "127.0.0.9"), "pass")
      assert.strictEqual(yield* check("a@example.test", "127.0.0.5"), "fail")
      assert.strictEqual(yield* check("a@ptr.test", "127.0.0.9"), "fail") // PTR name is not under ptr.test
      assert.strictEqual(yield* check("a@absent.test", "127.0.0.1"), "none")
      assert.strictEqual(yield* check("a@broken.test", "127.0.0.1"), "temperror")
      assert.strictEqual(yield* check("a@slow.test", "127.0.0.1"), "temperror")
    }).pipe(Effect.provide(MailAuthTesting.dns(zones))))
})
