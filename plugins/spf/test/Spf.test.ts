import { Pipeline, Plugin, type Session } from "@cartero/core"
import { Results } from "@cartero/mail-auth"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { type FakeDns, TestSession, TestStore, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option } from "effect"
import * as Spf from "../src/Spf.ts"
import type * as SpfPolicy from "../src/SpfPolicy.ts"

// The test client is 203.0.113.5 (TestSession.connection); on the wire it is 127.0.0.1.
const zones: FakeDns.Zones = {
  "pass.test": { TXT: ["v=spf1 ip4:203.0.113.0/24 ip4:127.0.0.1 -all"] },
  "fail.test": { TXT: ["v=spf1 ip4:192.0.2.1 -all"] },
  "soft.test": { TXT: ["v=spf1 ip4:192.0.2.1 ~all"] },
  "neutral.test": { TXT: ["v=spf1 ?all"] },
  "norecord.test": { A: ["192.0.2.1"] },
  "two.test": { TXT: ["v=spf1 ip4:203.0.113.5 -all", "v=spf1 -all"] },
  "typo.test": { TXT: ["v=spf1 ip4:203.0.113.5/99 -all"] },
  "servfail.test": { fail: "SERVFAIL" },
  "slow.test": { fail: "TIMEOUT" },
  "helo.test": { TXT: ["v=spf1 ip4:203.0.113.5 -all"] },
  "badhelo.test": { TXT: ["v=spf1 -all"] }
}

const pipelineOf = (options: SpfPolicy.Options = {}) =>
  Pipeline.Pipeline.layer([Spf.plugin({ hostname: "mx.local.test", ...options })]).pipe(Layer.provide(MailAuthTesting.dns(zones)))

const txnFrom = (sender: string | null, connection: Partial<Omit<Session.Connection, "notes">> = {}) =>
  TestSession.transaction(TestSession.connection(connection), [], {
    mailFrom: sender === null ? null : TestSession.address(sender)
  })

/** MAIL FROM then DATA as the server runs them: the verdict of each, and the SPF result recorded. */
const run = (txn: Session.Transaction) =>
  Effect.gen(function*() {
    const pipeline = yield* Pipeline.Pipeline
    const mailFrom = yield* pipeline.mailFrom(txn)
    const data = Verdict.isSuccess(mailFrom) ? yield* pipeline.data(txn) : undefined
    const recorded = yield* Results.Spf.get(txn)
    return { mailFrom, data, result: Option.getOrUndefined(recorded)?.status.result }
  })

const replyOf = (v: Verdict.Verdict): string =>
  v._tag === "Reject" || v._tag === "Defer" ? `${v.reply.code} ${v.reply.enhanced} ${v.reply.lines.join(" ")}` : v._tag

const receivedSpf = (v: Verdict.Verdict | undefined): string | undefined =>
  v === undefined ? undefined : Verdict.headersOf(v).find((h) => h.name === "Received-SPF")?.value

describe("Spf plugin", () => {
  it.live("pass: accepted, recorded, Received-SPF: pass added at DATA", () =>
    Effect.gen(function*() {
      const out = yield* run(txnFrom("alice@pass.test"))
      assert.strictEqual(out.mailFrom._tag, "Continue")
      assert.strictEqual(out.result, "pass")
      const header = receivedSpf(out.data) ?? ""
      assert.match(header, /^pass \(mx\.local\.test: domain of alice@pass\.test designates 203\.0\.113\.5 as permitted sender\) client-ip=203\.0\.113\.5;$/)
    }).pipe(Effect.provide(pipelineOf())))

  it.live("fail: 550 5.7.23 naming the domain and the client, recorded for DMARC", () =>
    Effect.gen(function*() {
      const out = yield* run(txnFrom("alice@fail.test"))
      assert.strictEqual(
        replyOf(out.mailFrom),
        "550 5.7.23 SPF fail for fail.test: domain of alice@fail.test does not designate 203.0.113.5 as permitted sender"
      )
      assert.strictEqual(out.result, "fail")
    }).pipe(Effect.provide(pipelineOf())))

  it.live("fail with fail: tag is accepted and tagged; with none, accepted without the header", () =>
    Effect.gen(function*() {
      const tagged = yield* run(txnFrom("alice@fail.test")).pipe(Effect.provide(pipelineOf({ fail: "tag" })))
      assert.strictEqual(tagged.mailFrom._tag, "Continue")
      assert.match(receivedSpf(tagged.data) ?? "", /^fail /)
      const silent = yield* run(txnFrom("alice@fail.test")).pipe(Effect.provide(pipelineOf({ fail: "none" })))
      assert.strictEqual(silent.mailFrom._tag, "Continue")
      assert.isUndefined(receivedSpf(silent.data))
      assert.strictEqual(silent.result, "fail")
    }))

  it.live("softfail is tagged by default, refused with softfail: reject", () =>
    Effect.gen(function*() {
      const tagged = yield* run(txnFrom("alice@soft.test")).pipe(Effect.provide(pipelineOf()))
      assert.strictEqual(tagged.mailFrom._tag, "Continue")
      assert.match(receivedSpf(tagged.data) ?? "", /^softfail /)
      const refused = yield* run(txnFrom("alice@soft.test")).pipe(Effect.provide(pipelineOf({ softfail: "reject" })))
      assert.match(replyOf(refused.mailFrom), /^550 5\.7\.23 SPF softfail for soft\.test: /)
    }))

  it.live("neutral and none (no record, no domain): accepted and tagged", () =>
    Effect.gen(function*() {
      const neutral = yield* run(txnFrom("alice@neutral.test"))
      assert.strictEqual(neutral.result, "neutral")
      assert.match(receivedSpf(neutral.data) ?? "", /^neutral /)
      const none = yield* run(txnFrom("alice@norecord.test"))
      assert.strictEqual(none.result, "none")
      assert.match(receivedSpf(none.data) ?? "", /^none /)
      const absent = yield* run(txnFrom("alice@absent.test"))
      assert.strictEqual(absent.mailFrom._tag, "Continue")
      assert.strictEqual(absent.result, "none")
    }).pipe(Effect.provide(pipelineOf())))

  it.live("temperror on SERVFAIL and on timeout: 451 4.7.24 by default, tagged with temperror: tag", () =>
    Effect.gen(function*() {
      const servfail = yield* run(txnFrom("alice@servfail.test")).pipe(Effect.provide(pipelineOf()))
      assert.match(replyOf(servfail.mailFrom), /^451 4\.7\.24 SPF temperror for servfail\.test: .*please try again later$/)
      assert.strictEqual(servfail.result, "temperror")
      const timeout = yield* run(txnFrom("alice@slow.test")).pipe(Effect.provide(pipelineOf()))
      assert.match(replyOf(timeout.mailFrom), /^451 4\.7\.24 SPF temperror for slow\.test: /)
      const tagged = yield* run(txnFrom("alice@servfail.test")).pipe(Effect.provide(pipelineOf({ temperror: "tag" })))
      assert.strictEqual(tagged.mailFrom._tag, "Continue")
      assert.match(receivedSpf(tagged.data) ?? "", /^temperror /)
    }))

  it.live("malformed records (two v=spf1 records, a bad prefix): permerror, tagged by default, 550 5.7.24 when asked", () =>
    Effect.gen(function*() {
      const two = yield* run(txnFrom("alice@two.test")).pipe(Effect.provide(pipelineOf()))
      assert.strictEqual(two.result, "permerror")
      assert.strictEqual(two.mailFrom._tag, "Continue")
      assert.match(receivedSpf(two.data) ?? "", /^permerror /)
      const typo = yield* run(txnFrom("alice@typo.test")).pipe(Effect.provide(pipelineOf({ permerror: "reject" })))
      assert.match(replyOf(typo.mailFrom), /^550 5\.7\.24 SPF permerror for typo\.test: /)
    }))

  it.live("the null sender is checked by its HELO name (postmaster@helo)", () =>
    Effect.gen(function*() {
      const pass = yield* run(txnFrom(null, { helo: "helo.test" }))
      assert.strictEqual(pass.result, "pass")
      assert.match(receivedSpf(pass.data) ?? "", /postmaster@helo\.test/)
      const fail = yield* run(txnFrom(null, { helo: "badhelo.test" }))
      assert.match(replyOf(fail.mailFrom), /^550 5\.7\.23 SPF fail for badhelo\.test: /)
      const literal = yield* run(txnFrom(null, { helo: "[203.0.113.5]" }))
      assert.strictEqual(literal.mailFrom._tag, "Continue")
      assert.isUndefined(literal.result)
    }).pipe(Effect.provide(pipelineOf())))

  it.live("authenticated, trusted and allow-listed clients are not checked", () =>
    Effect.gen(function*() {
      for (const connection of [{ user: "alice" }, { trusted: true }, { remoteAddress: "::ffff:198.51.100.7" }]) {
        const out = yield* run(txnFrom("alice@fail.test", connection))
        assert.strictEqual(out.mailFrom._tag, "Continue")
        assert.isUndefined(out.result)
        assert.isUndefined(receivedSpf(out.data))
      }
    }).pipe(Effect.provide(pipelineOf({ allow: ["198.51.100.0/24"] }))))

  it.effect("bad options stop the pipeline with a message naming the option", () =>
    Effect.gen(function*() {
      const bad = yield* Effect.flip(Layer.build(pipelineOf({ allow: ["10.1.2.3/8"] })))
      assert.match(String(bad), /invalid allow: .*host bits/)
      const action = yield* Effect.flip(Layer.build(pipelineOf({ fail: "bounce" as SpfPolicy.Action })))
      assert.match(String(action), /invalid fail: expected one of reject, tag, none, got "bounce"/)
    }).pipe(Effect.scoped))

  it.live("pluginConfig reads CARTERO_SPF_*; a bad value names the variable", () => {
    const layer = (env: Record<string, string>) =>
      Pipeline.Pipeline.layer([Spf.pluginConfig]).pipe(
        Layer.provide(MailAuthTesting.dns(zones)),
        Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))
      )
    return Effect.gen(function*() {
      const tagged = yield* run(txnFrom("alice@fail.test")).pipe(
        Effect.provide(layer({ CARTERO_SPF_FAIL: "tag", CARTERO_HOSTNAME: "mx.env.test" }))
      )
      assert.strictEqual(tagged.mailFrom._tag, "Continue")
      assert.match(receivedSpf(tagged.data) ?? "", /^fail \(mx\.env\.test: /)
      const deferred = yield* run(txnFrom("alice@servfail.test")).pipe(Effect.provide(layer({})))
      assert.strictEqual(deferred.mailFrom._tag, "Defer")
      const skipped = yield* run(txnFrom("alice@fail.test", { remoteAddress: "192.0.2.9" })).pipe(
        Effect.provide(layer({ CARTERO_SPF_ALLOW: "192.0.2.0/24, 2001:db8::/32" }))
      )
      assert.isUndefined(skipped.result)
      const error = yield* Effect.flip(Effect.scoped(Layer.build(layer({ CARTERO_SPF_TEMPERROR: "reject" }))))
      assert.include(String(error), `CARTERO_SPF_TEMPERROR: expected one of defer, tag, none, got "reject"`)
      const cidr = yield* Effect.flip(Effect.scoped(Layer.build(layer({ CARTERO_SPF_ALLOW: "nonsense" }))))
      assert.include(String(cidr), "CARTERO_SPF_ALLOW: expected a comma-separated list of CIDR networks")
    })
  })

  it.live("on the wire: 550 5.7.23 to MAIL FROM; a passing message is stored with Received-SPF above Received", () => {
    const store = TestStore.make()
    const acceptAll = Plugin.make("accept-all", Effect.succeed({ rcptTo: () => Effect.succeed(Verdict.accept()) }))
    const pipeline = Pipeline.Pipeline.layer([Spf.plugin({ hostname: "mx.test" }), acceptAll, store.plugin]).pipe(
      Layer.provide(MailAuthTesting.dns(zones))
    )
    return Effect.gen(function*() {
      const mx = (yield* SmtpServer.SmtpServer).address("mx")
      if (mx === undefined) return assert.fail("no MX listener")
      yield* Transcript.run(mx, `
        <~ 220
        -> EHLO client.test
        <~ 250
        -> MAIL FROM:<alice@fail.test>
        <- 550 5.7.23 SPF fail for fail.test: domain of alice@fail.test does not designate 127.0.0.1 as permitted sender
        -> MAIL FROM:<alice@servfail.test>
        <~ 451 4.7.24 SPF temperror for servfail.test:
        -> MAIL FROM:<alice@pass.test>
        <- 250 2.1.0 Accepted
        -> RCPT TO:<bob@example.test>
        <- 250 2.1.5 Accepted
        -> DATA
        <~ 354
        -> Subject: hi
        ->
        -> Hello.
        -> .
        <~ 250
        -> QUIT
        <~ 221
      `)
      assert.strictEqual(store.stored.length, 1)
      const prepend = store.stored[0]?.message.prepend ?? ""
      assert.match(prepend, /^Received-SPF: pass \(mx\.test: domain of alice@pass\.test designates 127\.0\.0\.1 as\r\n permitted sender\) client-ip=127\.0\.0\.1;\r\nReceived: /)
    }).pipe(Effect.provide(SmtpServer.SmtpServer.layerTest().pipe(Layer.provide(pipeline))))
  })
})
