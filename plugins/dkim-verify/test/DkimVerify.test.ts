import { Pipeline, Plugin, type Session } from "@cartero/core"
import { Results } from "@cartero/mail-auth"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { FakeDns, SmtpTestClient, TestSession, TestStore } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import type { DKIMVerifyResult } from "mailauth"
import * as DkimVerify from "../src/DkimVerify.ts"
import * as Keys from "../src/testing.ts"
import * as Verifier from "../src/Verifier.ts"

const rsa = Keys.generate("rsa")
const ed = Keys.generate("ed25519")
const short = Keys.generate("rsa", 1024)

const zones: FakeDns.Zones = {
  "rsa._domainkey.example.test": { TXT: [rsa.record] },
  "ed._domainkey.example.test": { TXT: [ed.record] },
  "short._domainkey.example.test": { TXT: [short.record] },
  "broken._domainkey.example.test": { fail: "SERVFAIL" },
  "slow._domainkey.example.test": { fail: "TIMEOUT" },
  "garbage._domainkey.example.test": { TXT: ["v=DKIM1; k=rsa; p=%%% this is not a key %%%"] },
  "revoked._domainkey.example.test": { TXT: ["v=DKIM1; k=rsa; p="] },
  "other._domainkey.example.test": { TXT: [Keys.generate("rsa").record] }
}

const raw = [
  "From: Alice <alice@example.test>",
  "To: Bob <bob@example.net>",
  "Subject: Lunch",
  "Date: Mon, 07 Dec 2026 12:00:00 +0000",
  "Message-ID: <lunch-1@example.test>",
  "",
  "Shall we meet at noon?",
  ""
].join("\r\n")

const signer = (selector: string, key: Keys.Key = rsa): Keys.Signer => ({ domain: "example.test", selector, key })

const txnOf = (connection: Session.Connection = TestSession.connection()) =>
  TestSession.transaction(connection, ["bob@example.net"], {})

/** Runs the `message` phase on `message` (with a `Received:` of ours in `prepend`) and returns the recorded result. */
const verify = (message: string, txn = txnOf()) =>
  Effect.gen(function*() {
    const pipeline = yield* Pipeline.Pipeline
    const verdict = yield* pipeline.message(txn, TestSession.message("Received: from client.test by mx.test\r\n", message))
    assert.strictEqual(verdict._tag, "Continue", "the plugin never decides")
    return yield* Results.Dkim.get(txn)
  })

const recorded = (message: string) =>
  Effect.flatMap(verify(message), (dkim) => Option.isSome(dkim) ? Effect.succeed(dkim.value) : Effect.die("no DKIM result recorded"))

const outcomes = (result: DKIMVerifyResult) => result.results.map((r) => [r.signingDomain, r.status.result, r.status.comment ?? ""])

const env = (options: DkimVerify.Options = {}) =>
  Pipeline.Pipeline.layer([DkimVerify.plugin(options)]).pipe(Layer.provideMerge(MailAuthTesting.dns(zones)))

describe("DkimVerify", () => {
  it.live("pass: an RSA 2048 and an Ed25519 signature (RFC 8463) both verify; the From address is recorded", () =>
    Effect.gen(function*() {
      const signed = yield* Keys.sign(yield* Keys.sign(raw, signer("rsa")), signer("ed", ed))
      const result = yield* recorded(signed)
      assert.deepStrictEqual(outcomes(result), [["example.test", "pass", ""], ["example.test", "pass", ""]])
      assert.deepStrictEqual(result.results.map((r) => r.status.header?.["a"]), ["ed25519-sha256", "rsa-sha256"])
      assert.deepStrictEqual(result.headerFrom, ["alice@example.test"])
      assert.strictEqual(result.envelopeFrom, "sender@remote.test", "the envelope sender is MAIL FROM")
      assert.match(result.results[0]?.info ?? "", /^dkim=pass header\.i=@example\.test header\.s=ed /)
    }).pipe(Effect.provide(env())))

  it.live("fail: a header or the body changed after signing", () =>
    Effect.gen(function*() {
      const signed = yield* Keys.sign(raw, signer("rsa"))
      const header = yield* recorded(signed.replace("Subject: Lunch", "Subject: Dinner"))
      assert.deepStrictEqual(outcomes(header), [["example.test", "fail", "bad signature"]])
      // mailauth reports a body hash mismatch as neutral (the key is not even fetched), with its own comment.
      const body = yield* recorded(signed.replace("noon", "midnight"))
      assert.deepStrictEqual(outcomes(body), [["example.test", "neutral", "body hash did not verify"]])
    }).pipe(Effect.provide(env())))

  it.live("none: an unsigned message is recorded as not signed, with no DNS query", () =>
    Effect.gen(function*() {
      const result = yield* recorded(raw)
      assert.deepStrictEqual(result.results.map((r) => [r.status.result, r.status.comment]), [["none", "message not signed"]])
      assert.strictEqual(yield* (yield* FakeDns.FakeDns).queryCount(), 0)
    }).pipe(Effect.provide(env())))

  it.live("neutral: no key published for the selector", () =>
    Effect.gen(function*() {
      const result = yield* recorded(yield* Keys.sign(raw, signer("gone")))
      assert.deepStrictEqual(outcomes(result), [["example.test", "neutral", "no key"]])
    }).pipe(Effect.provide(env())))

  it.live("temperror: the key lookup gets SERVFAIL, or no answer", () =>
    Effect.gen(function*() {
      const servfail = yield* recorded(yield* Keys.sign(raw, signer("broken")))
      assert.deepStrictEqual(outcomes(servfail), [["example.test", "temperror", "DNS failure: ESERVFAIL"]])
      const timeout = yield* recorded(yield* Keys.sign(raw, signer("slow")))
      assert.deepStrictEqual(outcomes(timeout), [["example.test", "temperror", "DNS failure: ETIMEOUT"]])
    }).pipe(Effect.provide(env())))

  it.live("malformed records: a key that is not base64, a revoked key (empty p=), a signature field that is garbage", () =>
    Effect.gen(function*() {
      const garbage = yield* recorded(yield* Keys.sign(raw, signer("garbage")))
      assert.deepStrictEqual(outcomes(garbage), [["example.test", "neutral", "invalid public key"]])
      const revoked = yield* recorded(yield* Keys.sign(raw, signer("revoked")))
      assert.deepStrictEqual(outcomes(revoked), [["example.test", "neutral", "invalid public key"]])
      // A field mailauth cannot use (no d=, no s=, unknown algorithm) is not verified at all.
      const field = yield* recorded(`DKIM-Signature: this is ; not = a ;; signature\r\n${raw}`)
      assert.deepStrictEqual(field.results.map((r) => r.status.result), ["none"])
      // The wrong key for the selector: a well-formed record that does not match.
      const wrong = yield* recorded(yield* Keys.sign(raw, signer("other")))
      assert.deepStrictEqual(outcomes(wrong), [["example.test", "fail", "bad signature"]])
    }).pipe(Effect.provide(env())))

  it.live("several signatures: each has its own result, one good one bad", () =>
    Effect.gen(function*() {
      const signed = yield* Keys.sign(yield* Keys.sign(raw, signer("rsa")), signer("broken"))
      const result = yield* recorded(signed)
      assert.deepStrictEqual(result.results.map((r) => [r.selector, r.status.result]), [["broken", "temperror"], ["rsa", "pass"]])
    }).pipe(Effect.provide(env())))

  it.live("a key shorter than minBitLength gives dkim=policy (weak-key)", () =>
    Effect.gen(function*() {
      const result = yield* recorded(yield* Keys.sign(raw, signer("short", short)))
      assert.deepStrictEqual(result.results.map((r) => [r.status.result, r.status.policy?.["dkim-rules"]]), [["policy", "weak-key"]])
    }).pipe(Effect.provide(env({ minBitLength: 2048 }))))

  it.live("bounded: of 50 signatures only maxSignatures are looked up, from the top", () =>
    Effect.gen(function*() {
      const good = yield* Keys.sign(raw, signer("rsa"))
      const bh = /bh=([^;]+);/.exec(good.replace(/\r\n\s+/g, ""))?.[1] ?? ""
      // What an attacker sends: valid body hashes (so each signature costs a key lookup), 50 selectors.
      const fake = Array.from({ length: 50 }, (_, i) =>
        `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.test; s=s${i}; h=from; bh=${bh}; b=AAAA\r\n`).join("")
      const fakeDns = yield* FakeDns.FakeDns
      const result = yield* recorded(fake + good)
      assert.strictEqual(yield* fakeDns.queryCount({ type: "TXT" }), 3)
      assert.deepStrictEqual(result.results.map((r) => r.selector), ["s0", "s1", "s2"])
    }).pipe(Effect.provide(env({ maxSignatures: 3 }))))

  it.live("time-bounded: verification that outlasts the timeout records dkim=temperror, with the From address", () =>
    Effect.gen(function*() {
      const result = yield* recorded(yield* Keys.sign(raw, signer("slow")))
      assert.deepStrictEqual(result.results.map((r) => [r.status.result, r.info]), [["temperror", "dkim=temperror (verification timed out)"]])
      assert.deepStrictEqual(result.headerFrom, ["alice@example.test"])
    }).pipe(Effect.provide(env({ timeout: "50 millis" }))))

  it.live("authenticated users and trusted clients are not verified unless verifyExempt", () =>
    Effect.gen(function*() {
      const signed = yield* Keys.sign(raw, signer("rsa"))
      const user = yield* verify(signed, txnOf(TestSession.connection({ user: "alice" })))
      assert.isTrue(Option.isNone(user))
      const trusted = yield* verify(signed, txnOf(TestSession.connection({ trusted: true })))
      assert.isTrue(Option.isNone(trusted))
    }).pipe(Effect.provide(env())))

  it.live("verifyExempt: our own users' mail is verified too", () =>
    Effect.gen(function*() {
      const user = yield* verify(yield* Keys.sign(raw, signer("rsa")), txnOf(TestSession.connection({ user: "alice" })))
      assert.deepStrictEqual(Option.map(user, (r) => r.results.map((s) => s.status.result)), Option.some(["pass"]))
    }).pipe(Effect.provide(env({ verifyExempt: true }))))

  it.live("Verifier keeps the ARC parse and the relaxed/sha256 body hash an ARC sealer needs", () =>
    Effect.gen(function*() {
      const signed = yield* Keys.sign(raw, signer("rsa"))
      const resolver = () => Promise.reject(Object.assign(new Error("no DNS here"), { code: "ENOTFOUND" }))
      const { result } = yield* Verifier.verify(TestSession.message("", signed), { resolver, maxSignatures: 0 })
      assert.deepStrictEqual(result.results.map((r) => r.status.result), ["none"], "maxSignatures 0 verifies nothing")
      assert.deepStrictEqual(result.arc?.chain, false)
      assert.isTrue((result.headers?.parsed.length ?? 0) > 5, "the whole header block, signature included")
      assert.strictEqual(Verifier.sealBodyHash(result), /bh=([^;]+);/.exec(signed.replace(/\r\n\s+/g, ""))?.[1])
      assert.deepStrictEqual(Object.keys(result), ["headerFrom", "envelopeFrom", "results"], "parse data is not enumerable")
    }))
})

describe("DkimVerify over SMTP", () => {
  it.live("a signed message spilled to disk (over the server's spill threshold) verifies, read from its file", () => {
    const store = TestStore.make()
    const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))
    const layer = SmtpServer.SmtpServer.layerTest({ spillThreshold: 16 * 1024 }).pipe(
      Layer.provide(Pipeline.Pipeline.layer([acceptAll, DkimVerify.plugin(), store.plugin])),
      Layer.provideMerge(MailAuthTesting.dns(zones))
    )
    const body = Array.from({ length: 3000 }, (_, i) => `line ${i} ${"z".repeat(70)}`).join("\r\n")
    return Effect.gen(function*() {
      const signed = yield* Keys.sign(raw.replace("Shall we meet at noon?\r\n", `${body}\r\n`), signer("rsa"))
      const mx = (yield* SmtpServer.SmtpServer).address("mx")
      if (mx === undefined) return assert.fail("no MX listener")
      const client = yield* SmtpTestClient.connect({ host: mx.host, port: mx.port })
      yield* client.readReply()
      for (const [line, code] of [["EHLO client.test", 250], ["MAIL FROM:<alice@example.test>", 250], ["RCPT TO:<bob@example.net>", 250], ["DATA", 354]] as const) {
        assert.strictEqual((yield* client.command(line)).reply.code, code, line)
      }
      yield* client.sendRaw(`${signed}.\r\n`)
      assert.strictEqual((yield* client.readReply()).reply.code, 250)
      const stored = store.stored[0]
      if (stored === undefined) return assert.fail("nothing stored")
      assert.strictEqual(stored.message.data._tag, "Spilled")
      assert.match(stored.message.prepend, /^Received: /, "our Received: is in prepend, not in what was verified")
      const dkim = yield* Results.Dkim.get(stored.transaction)
      assert.deepStrictEqual(Option.map(dkim, outcomes), Option.some([["example.test", "pass", ""]]))
    }).pipe(Effect.scoped, Effect.provide(layer))
  })
})
