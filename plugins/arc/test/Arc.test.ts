import { Message, Pipeline, Plugin, type Session } from "@cartero/core"
import { AuthenticationResults, Results } from "@cartero/mail-auth"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { DkimVerify } from "@cartero/plugin-dkim-verify"
import * as Keys from "@cartero/plugin-dkim-verify/testing"
import { SmtpServer } from "@cartero/server"
import { type Header, Verdict } from "@cartero/smtp"
import { FakeDns, SmtpTestClient, TestSession, TestStore } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Stream } from "effect"
import { type ARCResult, sealMessage } from "mailauth"
import * as ArcSeal from "../src/ArcSeal.ts"
import * as ArcVerify from "../src/ArcVerify.ts"

const author = Keys.generate("rsa")
const relay1 = Keys.generate("rsa")
const relay2 = Keys.generate("rsa")
const ours = Keys.generate("rsa")

const zones: FakeDns.Zones = {
  "rsa._domainkey.example.test": { TXT: [author.record] },
  "arc._domainkey.relay1.test": { TXT: [relay1.record] },
  "arc._domainkey.relay2.test": { TXT: [relay2.record] },
  "arc._domainkey.mx.test": { TXT: [ours.record] },
  "arc._domainkey.broken.test": { fail: "SERVFAIL" }
}

const raw = [
  "From: Alice <alice@example.test>",
  "To: list@lists.test",
  "Subject: Lunch",
  "Date: Mon, 07 Dec 2026 12:00:00 +0000",
  "Message-ID: <lunch-1@example.test>",
  "",
  "Shall we meet at noon?",
  ""
].join("\r\n")

/** A hop that seals with mailauth's own sealer (what another ARC implementation would do). */
const hop = (message: string, domain: string, key: Keys.Key, cv: "none" | "pass" | "fail") => {
  const seal = {
    signingDomain: domain,
    selector: "arc",
    privateKey: key.privateKey,
    cv,
    // Without it mailauth 4.13.3 reads the clock twice: a seal made across a second boundary does not verify.
    signTime: new Date(),
    authResults: `${domain}; dkim=pass header.i=@example.test; spf=pass smtp.mailfrom=example.test`
  }
  return Effect.promise(() => sealMessage(message, seal)).pipe(Effect.map((headers) => headers.toString() + message))
}

const signed = Keys.sign(raw, { domain: "example.test", selector: "rsa", key: author })
const oneHop = Effect.flatMap(signed, (m) => hop(m, "relay1.test", relay1, "none"))
const twoHops = Effect.flatMap(oneHop, (m) => hop(m, "relay2.test", relay2, "pass"))

const txnOf = (connection: Session.Connection = TestSession.connection(), recipients = ["bob@elsewhere.test"]) =>
  TestSession.transaction(connection, recipients)

/** Runs the `message` phase; returns the verdict's headers and the transaction. */
const receive = (message: string, txn = txnOf()) =>
  Effect.gen(function*() {
    const pipeline = yield* Pipeline.Pipeline
    const verdict = yield* pipeline.message(txn, TestSession.message("Received: from client.test by mx.test\r\n", message))
    assert.strictEqual(verdict._tag, "Continue", "the ARC plugins never decide")
    return { headers: Verdict.headersOf(verdict), txn }
  })

const arcOf = (txn: Session.Transaction) =>
  Effect.flatMap(Results.Arc.get(txn), (arc) => Option.isSome(arc) ? Effect.succeed(arc.value) : Effect.die("no ARC result recorded"))

const outcome = (arc: ARCResult) => [arc.status.result, arc.i, arc.status.comment ?? ""]

/** The message as the next hop gets it: our headers on top of what we received. */
const relayed = (headers: ReadonlyArray<Header.Header>, message: string) =>
  headers.map((h) => `${h.name}: ${h.value}\r\n`).join("") + message

const seal: ArcSeal.SealKey = { signingDomain: "mx.test", selector: "arc", privateKey: ours.privateKey }

/** Stands in for the DMARC plugin: writes our Authentication-Results and records it in `Results.Written`. */
const fakeDmarc = Plugin.make("fake-dmarc", Effect.succeed({
  message: (txn: Session.Transaction) =>
    Effect.gen(function*() {
      const header = AuthenticationResults.make("mx.test", ["dkim=pass header.i=@example.test", "dmarc=pass header.from=example.test"])
      yield* Results.Written.set(txn, header)
      return Verdict.continueWith([header])
    })
}))

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const allRemote = { isLocal: () => Effect.succeed(false) }

const verifyOnly = (options: ArcVerify.Options = {}) =>
  Pipeline.Pipeline.layer([DkimVerify.plugin(), ArcVerify.plugin(options)]).pipe(Layer.provideMerge(MailAuthTesting.dns(zones)))

const sealing = (plugins: ReadonlyArray<Plugin.Plugin> = [], options: Partial<ArcSeal.Options> = {}) =>
  Pipeline.Pipeline.layer([
    DkimVerify.plugin(),
    ArcVerify.plugin(),
    ...plugins,
    ArcSeal.plugin({ seal, authservId: "mx.test", ...allRemote, ...options })
  ]).pipe(Layer.provideMerge(MailAuthTesting.dns(zones)))

/** Verifies a message as a fresh receiver would (a new transaction, only the verifiers). */
const verifyAfresh = (message: string) =>
  Effect.gen(function*() {
    const txn = txnOf()
    const pipeline = yield* Pipeline.Pipeline
    yield* pipeline.message(txn, TestSession.message("", message))
    return yield* arcOf(txn)
  }).pipe(Effect.provide(verifyOnly()))

describe("ArcVerify", () => {
  it.live("none: no ARC sets", () =>
    Effect.gen(function*() {
      const { txn } = yield* receive(yield* signed)
      assert.deepStrictEqual(outcome(yield* arcOf(txn)), ["none", 0, ""])
    }).pipe(Effect.provide(verifyOnly())))

  it.live("pass: a chain of one hop, sealed by mailauth", () =>
    Effect.gen(function*() {
      const { txn } = yield* receive(yield* oneHop)
      const arc = yield* arcOf(txn)
      assert.deepStrictEqual([arc.status.result, arc.i], ["pass", 1])
      assert.match(arc.info ?? "", /^arc=pass \(i=1 spf=pass dkim=pass dkdomain=example\.test\)/)
      assert.strictEqual(arc.authenticationResults?.["mta"], "relay1.test")
    }).pipe(Effect.provide(verifyOnly())))

  it.live("pass: a chain of two hops", () =>
    Effect.gen(function*() {
      const { txn } = yield* receive(yield* twoHops)
      assert.deepStrictEqual((yield* arcOf(txn)).i, 2)
      assert.strictEqual((yield* arcOf(txn)).status.result, "pass")
    }).pipe(Effect.provide(verifyOnly())))

  it.live("fail: the body changed after the last seal; a seal changed; a set missing", () =>
    Effect.gen(function*() {
      const body = yield* receive((yield* twoHops).replace("noon", "midnight"))
      assert.deepStrictEqual(outcome(yield* arcOf(body.txn)), ["fail", 2, "i=2 no valid signature"])
      const twice = yield* twoHops
      const seal = yield* receive(twice.replace(/(ARC-Seal: i=2; [^\r]*?t=)(\d)/, (_m, a: string, d: string) => `${a}${(Number(d) + 1) % 10}`))
      assert.deepStrictEqual((yield* arcOf(seal.txn)).status.result, "fail")
      // Hop 2's set without hop 1's: i=2 with no i=1.
      const gap = yield* receive(twice.replace(/^ARC-[A-Za-z-]+: i=1;.*\r\n(?:[ \t].*\r\n)*/gm, ""))
      assert.deepStrictEqual(outcome(yield* arcOf(gap.txn)), ["fail", false, "i=2 expected=1"])
    }).pipe(Effect.provide(verifyOnly())))

  it.live("fail: the sealer's key cannot be fetched (ARC has no temporary result)", () =>
    Effect.gen(function*() {
      const message = yield* Effect.flatMap(signed, (m) => hop(m, "broken.test", relay1, "none"))
      const { txn } = yield* receive(message)
      assert.deepStrictEqual((yield* arcOf(txn)).status.result, "fail")
    }).pipe(Effect.provide(verifyOnly())))

  it.live("time-bounded: a validation that outlasts the timeout records arc=fail", () =>
    Effect.gen(function*() {
      const fake = yield* FakeDns.FakeDns
      yield* fake.setZone("arc._domainkey.relay1.test", { fail: "TIMEOUT" })
      const { txn } = yield* receive(yield* oneHop)
      assert.deepStrictEqual(outcome(yield* arcOf(txn)), ["fail", false, "verification timed out"])
    }).pipe(Effect.provide(verifyOnly({ timeout: "50 millis" }))))

  it.live("without dkim-verify before it, it reads the message itself and looks up no DKIM key", () =>
    Effect.gen(function*() {
      const { txn } = yield* receive(yield* oneHop)
      assert.deepStrictEqual((yield* arcOf(txn)).status.result, "pass")
      const fake = yield* FakeDns.FakeDns
      assert.strictEqual(yield* fake.queryCount({ name: "rsa._domainkey.example.test" }), 0)
      assert.isTrue(Option.isNone(yield* Results.Dkim.get(txn)))
    }).pipe(Effect.provide(Pipeline.Pipeline.layer([ArcVerify.plugin()]).pipe(Layer.provideMerge(MailAuthTesting.dns(zones))))))

  it.live("authenticated users and trusted clients are not validated unless verifyExempt", () =>
    Effect.gen(function*() {
      const { txn } = yield* receive(yield* oneHop, txnOf(TestSession.connection({ user: "alice" })))
      assert.isTrue(Option.isNone(yield* Results.Arc.get(txn)))
    }).pipe(Effect.provide(verifyOnly())))
})

describe("ArcSeal", () => {
  it.live("seals a relayed message with cv=none; the AAR is our Authentication-Results; the seal verifies", () =>
    Effect.gen(function*() {
      const message = yield* signed
      const { headers } = yield* receive(message)
      assert.deepStrictEqual(headers.map((h) => h.name), [
        "Authentication-Results",
        "ARC-Seal",
        "ARC-Message-Signature",
        "ARC-Authentication-Results"
      ])
      assert.match(headers[1]?.value ?? "", /^i=1; a=rsa-sha256; t=\d+; cv=none; d=mx\.test; s=arc; b=/)
      assert.strictEqual(headers[3]?.value, `i=1; ${headers[0]?.value}`)
      const arc = yield* verifyAfresh(relayed(headers, message))
      assert.deepStrictEqual([arc.status.result, arc.i], ["pass", 1])
      assert.strictEqual(arc.authenticationResults?.["mta"], "mx.test")
    }).pipe(Effect.provide(sealing([fakeDmarc]))))

  it.live("extends a passing chain: i=2 cv=pass, and the chain of 2 verifies", () =>
    Effect.gen(function*() {
      const message = yield* oneHop
      const { headers } = yield* receive(message)
      assert.match(headers.find((h) => h.name === "ARC-Seal")?.value ?? "", /^i=2; .*cv=pass;/)
      const arc = yield* verifyAfresh(relayed(headers, message))
      assert.deepStrictEqual([arc.status.result, arc.i], ["pass", 2])
    }).pipe(Effect.provide(sealing([fakeDmarc]))))

  it.live("headerList chooses what our ARC-Message-Signature covers; the seal still verifies", () =>
    Effect.gen(function*() {
      const message = yield* signed
      const { headers } = yield* receive(message)
      assert.match(headers.find((h) => h.name === "ARC-Message-Signature")?.value ?? "", /; h=Subject: From;/)
      assert.deepStrictEqual((yield* verifyAfresh(relayed(headers, message))).status.result, "pass")
    }).pipe(Effect.provide(sealing([], { seal: { ...seal, headerList: ["from", "subject"] } }))))

  it.live("without the DMARC plugin the AAR is built from the notes (dkim, arc)", () =>
    Effect.gen(function*() {
      const { headers } = yield* receive(yield* signed)
      assert.match(
        headers.find((h) => h.name === "ARC-Authentication-Results")?.value ?? "",
        /^i=1; mx\.test; dkim=pass header\.i=@example\.test header\.s=rsa header\.a=rsa-sha256 header\.b=\S+$/
      )
    }).pipe(Effect.provide(sealing())))

  it.live("a broken chain whose last set claimed pass is sealed once with cv=fail; that chain then fails", () =>
    Effect.gen(function*() {
      const message = (yield* oneHop).replace("noon", "midnight")
      const { headers, txn } = yield* receive(message)
      assert.strictEqual((yield* arcOf(txn)).status.result, "fail")
      assert.match(headers.find((h) => h.name === "ARC-Seal")?.value ?? "", /^i=2; .*cv=fail;/)
      const next = relayed(headers, message)
      assert.strictEqual((yield* verifyAfresh(next)).status.result, "fail")
      // The next sealer does not extend a chain marked failed.
      const again = yield* receive(next)
      assert.deepStrictEqual(again.headers, [])
    }).pipe(Effect.provide(sealing())))

  it.live("no seal for a message to local recipients only, nor for our own users' mail", () =>
    Effect.gen(function*() {
      const message = yield* signed
      const local = yield* receive(message, txnOf(TestSession.connection(), ["bob@example.net"]))
      assert.deepStrictEqual(local.headers, [])
      const mixed = yield* receive(message, txnOf(TestSession.connection(), ["bob@example.net", "carol@elsewhere.test"]))
      assert.strictEqual(mixed.headers.length, 3, "one remote recipient is enough")
      const user = yield* receive(message, txnOf(TestSession.connection({ user: "alice" })))
      assert.deepStrictEqual(user.headers, [])
    }).pipe(Effect.provide(sealing([], {
      isLocal: (_txn, recipient) => Effect.succeed(recipient.address.domain === "example.net")
    }))))

  it.live("without arc-verify before it, it validates the chain itself", () =>
    Effect.gen(function*() {
      const message = yield* oneHop
      const { headers } = yield* receive(message)
      assert.match(headers[0]?.value ?? "", /^i=2; .*cv=pass;/)
      assert.deepStrictEqual((yield* verifyAfresh(relayed(headers, message))).i, 2)
    }).pipe(Effect.provide(
      Pipeline.Pipeline.layer([ArcSeal.plugin({ seal, authservId: "mx.test", ...allRemote })]).pipe(
        Layer.provideMerge(MailAuthTesting.dns(zones))
      )
    )))

  it.live("refuses to start with a key that is not an RSA private key", () =>
    Effect.gen(function*() {
      const layer = (privateKey: string) =>
        Pipeline.Pipeline.layer([ArcSeal.plugin({ seal: { ...seal, privateKey } })]).pipe(Layer.provide(MailAuthTesting.dns({})))
      const ed = yield* Effect.flip(Layer.build(layer(Keys.generate("ed25519").privateKey)).pipe(Effect.scoped))
      assert.match(messageOf(ed), /arc-seal: seal\.privateKey must be an RSA key/)
      const garbage = yield* Effect.flip(Layer.build(layer("not a key")).pipe(Effect.scoped))
      assert.match(messageOf(garbage), /arc-seal: seal\.privateKey is not a private key/)
    }))

  it.live("over SMTP: the stored message (our Received:, AR and ARC set on top) verifies at the next hop", () => {
    const store = TestStore.make()
    const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))
    const layer = SmtpServer.SmtpServer.layerTest({ spillThreshold: 4 * 1024 }).pipe(
      Layer.provide(Pipeline.Pipeline.layer([
        acceptAll,
        DkimVerify.plugin(),
        ArcVerify.plugin(),
        fakeDmarc,
        ArcSeal.plugin({ seal, authservId: "mx.test", ...allRemote }),
        store.plugin
      ])),
      Layer.provideMerge(MailAuthTesting.dns(zones))
    )
    const body = Array.from({ length: 200 }, (_, i) => `line ${i} ${"z".repeat(70)}`).join("\r\n")
    return Effect.gen(function*() {
      const message = yield* Effect.flatMap(
        Keys.sign(raw.replace("Shall we meet at noon?\r\n", `${body}\r\n`), { domain: "example.test", selector: "rsa", key: author }),
        (m) => hop(m, "relay1.test", relay1, "none")
      )
      const mx = (yield* SmtpServer.SmtpServer).address("mx")
      if (mx === undefined) return assert.fail("no MX listener")
      const client = yield* SmtpTestClient.connect({ host: mx.host, port: mx.port })
      yield* client.readReply()
      for (const [line, code] of [["EHLO client.test", 250], ["MAIL FROM:<alice@example.test>", 250], ["RCPT TO:<bob@elsewhere.test>", 250], ["DATA", 354]] as const) {
        assert.strictEqual((yield* client.command(line)).reply.code, code, line)
      }
      yield* client.sendRaw(`${message}.\r\n`)
      assert.strictEqual((yield* client.readReply()).reply.code, 250)
      const stored = store.stored[0]
      if (stored === undefined) return assert.fail("nothing stored")
      assert.strictEqual(stored.message.data._tag, "Spilled")
      assert.match(stored.message.prepend, /^Authentication-Results: mx\.test; [^]*ARC-Seal: i=2; [^]*Received: /)
      const full = yield* Stream.mkString(Stream.decodeText(Message.streamAll(stored.message)))
      const arc = yield* verifyAfresh(full)
      assert.deepStrictEqual([arc.status.result, arc.i], ["pass", 2])
    }).pipe(Effect.scoped, Effect.provide(layer))
  })
})
