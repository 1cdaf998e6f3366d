/**
 * SPF pass + aligned DKIM pass: the decision waits for the body. Real SPF and DKIM results from mailauth (a real
 * DKIM signature, keys and SPF record served by FakeDns over loopback), written into the transaction's notes as
 * the SPF and DKIM plugins write them.
 */
import { Pipeline, type Session } from "@cartero/core"
import { Resolver, Results } from "@cartero/mail-auth"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { PolicyStore } from "@cartero/policy-store"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestClock } from "effect/testing"
import { authenticate, dkimSign } from "mailauth"
import { generateKeyPairSync } from "node:crypto"
import { Greylist } from "../src/index.ts"
import { acceptAll, attempt, rcpt, show } from "./fixtures.ts"

const keys = generateKeyPairSync("rsa", { modulusLength: 2048 })
const publicKey = keys.publicKey.export({ type: "spki", format: "der" }).toString("base64")
const privateKey = keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString()

const zones = {
  "sender.test": { TXT: ["v=spf1 ip4:192.0.2.10 -all"] },
  "sel._domainkey.sender.test": { TXT: [`v=DKIM1; k=rsa; p=${publicKey}`] },
  "sel._domainkey.esp.test": { TXT: [`v=DKIM1; k=rsa; p=${publicKey}`] }
}

const message = [
  "From: Alice <alice@sender.test>",
  "To: bob@example.test",
  "Subject: hello",
  "Date: Mon, 07 Dec 2026 21:00:00 +0000",
  "Message-ID: <1@sender.test>",
  "",
  "Hello Bob.",
  ""
].join("\r\n")

/** The message, signed by `domain` when given, with mailauth's SPF and DKIM results for a client at 192.0.2.10. */
const received = (signedBy: string | undefined) =>
  Effect.gen(function*() {
    const resolver = yield* Resolver.fromContext
    const raw = signedBy === undefined
      ? message
      : (yield* Effect.promise(() => dkimSign(message, { signingDomain: signedBy, selector: "sel", privateKey, signTime: new Date(), signatureData: [{ signingDomain: signedBy, selector: "sel", privateKey }] }))).signatures + message
    const result = yield* Effect.promise(() =>
      authenticate(raw, { ip: "192.0.2.10", helo: "mail.sender.test", sender: "alice@sender.test", mta: "mx.test", resolver, disableArc: true })
    )
    return { raw, result }
  })

/** One SMTP transaction through the pipeline: RCPT TO (after SPF at MAIL FROM), then the body (after DKIM). */
const deliver = (signedBy: string | undefined) =>
  Effect.gen(function*() {
    const pipeline = yield* Pipeline.Pipeline
    const { raw, result } = yield* received(signedBy)
    const txn: Session.Transaction = attempt("192.0.2.10", "alice@sender.test")
    if (result.spf !== false) yield* Results.Spf.set(txn, result.spf)
    const atRcpt = show(yield* pipeline.rcptTo(txn, TestSession.recipient("bob@example.test")))
    yield* Results.Dkim.set(txn, result.dkim)
    const atEnd = show(yield* pipeline.message(txn, TestSession.message("", raw)))
    return { spf: result.spf === false ? "none" : result.spf.status.result, atRcpt, atEnd }
  })

const layer = Pipeline.Pipeline.layer([Greylist.plugin(), acceptAll]).pipe(
  Layer.provide(PolicyStore.PolicyStore.layerMemory()),
  Layer.provideMerge(MailAuthTesting.dns(zones))
)

describe("Greylist: SPF pass with aligned DKIM", () => {
  it.effect("passes at the end of DATA, and remembers the triplet", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* deliver("sender.test"), { spf: "pass", atRcpt: "Accept", atEnd: "Continue" })
      // The next message of the triplet passes at RCPT TO, whatever its authentication.
      assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), "Accept")
    }).pipe(Effect.provide(layer)))

  it.effect("without an aligned DKIM pass: 451 4.7.1 after the body, and the retry after the delay passes at RCPT TO", () =>
    Effect.gen(function*() {
      assert.deepStrictEqual(yield* deliver(undefined), {
        spf: "pass",
        atRcpt: "Accept",
        atEnd: "451 4.7.1 Greylisted, please try again in 300 s"
      })
      yield* TestClock.adjust("2 minutes")
      assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), "451 4.7.1 Greylisted, please try again in 180 s")
      yield* TestClock.adjust("3 minutes")
      assert.strictEqual(yield* rcpt("192.0.2.10", "alice@sender.test", "bob@example.test"), "Accept")
    }).pipe(Effect.provide(layer)))

  it.effect("a DKIM pass of another domain than From's is not aligned: 451 4.7.1 after the body", () =>
    Effect.gen(function*() {
      const outcome = yield* deliver("esp.test")
      assert.deepStrictEqual(outcome, { spf: "pass", atRcpt: "Accept", atEnd: "451 4.7.1 Greylisted, please try again in 300 s" })
      const { result } = yield* received("esp.test")
      assert.strictEqual(result.dkim.results[0]?.status.result, "pass")
    }).pipe(Effect.provide(layer)))

  it.effect("without SPF pass the triplet is greylisted at RCPT TO, signed or not", () =>
    Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      const txn = attempt("203.0.113.9", "alice@sender.test")
      const { result } = yield* received("sender.test")
      assert.strictEqual(show(yield* pipeline.rcptTo(txn, TestSession.recipient("bob@example.test"))), "451 4.7.1 Greylisted, please try again in 300 s")
      assert.strictEqual(result.dkim.results[0]?.status.result, "pass")
    }).pipe(Effect.provide(layer)))

  it.effect("turned off, an SPF pass is greylisted at RCPT TO like anyone", () =>
    Effect.gen(function*() {
      const { atRcpt } = yield* deliver("sender.test")
      assert.strictEqual(atRcpt, "451 4.7.1 Greylisted, please try again in 300 s")
    }).pipe(Effect.provide(Pipeline.Pipeline.layer([Greylist.plugin({ authenticatedSenders: false }), acceptAll]).pipe(
      Layer.provide(PolicyStore.PolicyStore.layerMemory()),
      Layer.provideMerge(MailAuthTesting.dns(zones))
    ))))
})
