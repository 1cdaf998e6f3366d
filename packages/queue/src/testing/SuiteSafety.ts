/**
 * Conformance cases: hostile field contents. Addresses, parameters, trace ids and reply texts carrying CR, LF,
 * NUL, quotes, JSON, Lua and Redis-protocol metacharacters must come back exactly as stored (or as `SmtpReply`
 * sanitises them) and never create, alter or split a record (OpenSMTPD CVE-2020-7247 class).
 *
 * @since 0.1.0
 */
import { assert, describe, it } from "@effect/vitest"
import { SmtpReply } from "@cartero/smtp"
import { Effect } from "effect"
import { MailQueue } from "../MailQueue.ts"
import { bytes, type StoreLayer, withQueue } from "./Fixtures.ts"

/** Strings that have broken queue formats somewhere. */
export const hostile: ReadonlyArray<string> = [
  "a\r\nRCPT TO:<victim@evil.test>",
  "nul\u0000byte",
  "quote\"brace}{\"state\":\"delivered\"}",
  "lua]]..redis.call('DEL','*')..[[",
  "*3\r\n$3\r\nDEL\r\n$1\r\n*\r\n",
  "\\\"\\u0000\\n",
  "tab\tand\u007fdel and \u2028 \u{1F4E8}",
  "{hashtag}:m:0",
  "|pipe|,comma;semicolon `tick` $(cmd)",
  "%s%n%x' OR '1'='1'; --"
]

/** Registers the cases. */
export const cases = (store: StoreLayer): void => {
  const run = withQueue(store)
  describe("hostile field contents", () => {
    it.effect("addresses and parameters round-trip exactly and add no recipients", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const env = {
          mailFrom: { localPart: hostile[0] ?? "", domain: "evil\r\n.test" },
          params: { smtpUtf8: true, envid: hostile[3] ?? "" },
          recipients: hostile.map((h, i) => ({ address: { localPart: h, domain: i % 2 === 0 ? "b.test" : h }, orcpt: h }))
        }
        const id = yield* q.enqueue({ envelope: env, body: bytes("x"), traceId: hostile[1] ?? "" })
        const m = yield* q.show(id)
        assert.deepStrictEqual(m.envelope, env)
        assert.strictEqual(m.traceId, hostile[1])
        assert.strictEqual(m.recipients.length, hostile.length)
        const claims = yield* q.claim({ limit: 100 })
        const claimed = claims.flatMap((c) => c.recipients.map((r) => r.recipient))
        assert.strictEqual(claimed.length, hostile.length)
        for (const c of claims) {
          for (const r of c.recipients) assert.deepStrictEqual(r.recipient, env.recipients[r.index])
          assert.strictEqual(c.domain, env.recipients[c.recipients[0]?.index ?? 0]?.address.domain.toLowerCase())
        }
        assert.strictEqual((yield* q.stats).messages, 1)
      })))

    it.effect("hostile domains group and complete like any other", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const domains = ["x]]..'\"--.test", "y\r\n.test", "z\u0000.test", "w{t}.test"]
        const env = { mailFrom: null, params: { smtpUtf8: false }, recipients: domains.map((d) => ({ address: { localPart: "u", domain: d } })) }
        const id = yield* q.enqueue({ envelope: env, body: bytes("x") })
        const claims = yield* q.claim({ limit: 10 })
        assert.deepStrictEqual(claims.map((c) => c.domain).sort(), domains.map((d) => d.toLowerCase()).sort())
        const ok = SmtpReply.make(250, "2.0.0", "ok")
        for (const c of claims) yield* q.complete(c, c.recipients.map((r) => ({ _tag: "Delivered" as const, index: r.index, reply: ok })))
        assert.strictEqual((yield* Effect.flip(q.show(id)))._tag, "MessageNotFound")
      })))

    it.effect("reply texts are stored sanitised, never as structure", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        const env = { mailFrom: null, params: { smtpUtf8: false }, recipients: hostile.map((_, i) => ({ address: { localPart: `u${i}`, domain: "b.test" } })) }
        const id = yield* q.enqueue({ envelope: env, body: bytes("x") })
        const [c] = yield* q.claim()
        if (c === undefined) return assert.fail("no claim")
        const replies = hostile.map((h) => SmtpReply.fromParts(451, "4.0.0", h))
        yield* q.complete(c, replies.map((reply, index) => ({ _tag: "Deferred" as const, index, reply, retryAt: c.arrivedAt + 1000 })))
        const m = yield* q.show(id)
        for (const [i, r] of m.recipients.entries()) {
          assert.strictEqual(r.state, "deferred")
          assert.deepStrictEqual(r.lastReply, replies[i])
          for (const line of r.lastReply?.lines ?? []) assert.notMatch(line, /[\r\n\u0000]/)
        }
      })))

    it.effect("a hostile filter or cursor in list cannot break the listing", () =>
      run(Effect.gen(function*() {
        const q = yield* MailQueue
        yield* q.enqueue({ envelope: { mailFrom: null, params: { smtpUtf8: false }, recipients: [{ address: { localPart: "u", domain: "b.test" } }] }, body: bytes("x") })
        for (const h of hostile) {
          assert.strictEqual((yield* q.list({ domain: h, sender: h })).items.length, 0)
          assert.strictEqual((yield* q.list({}, { cursor: h })).items.length, 1)
        }
      })))
  })
}
