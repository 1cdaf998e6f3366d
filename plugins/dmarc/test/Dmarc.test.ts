import { HeaderEdits, Pipeline } from "@cartero/core"
import * as MailAuthTesting from "@cartero/mail-auth/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import * as Dmarc from "../src/Dmarc.ts"
import type * as DmarcPolicy from "../src/DmarcPolicy.ts"
import { deliver, messageFrom, pipelineOf, resultOf, sign, zones } from "./fixtures.ts"

describe("Dmarc plugin: policy", () => {
  it.live("p=reject, neither SPF nor DKIM aligned: 550 5.7.1 naming the domain; the result is recorded", () =>
    Effect.gen(function*() {
      const out = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["Alice <alice@reject.test>"]) })
      assert.strictEqual(
        out.reply,
        "550 5.7.1 Message rejected by the DMARC policy of reject.test: not authenticated by an aligned SPF or DKIM result"
      )
      assert.strictEqual(out.dmarc === false ? "false" : out.dmarc?.status.result, "fail")
      assert.isUndefined(out.written)
    }).pipe(Effect.provide(pipelineOf())))

  it.live("p=reject passes with SPF aligned (relaxed: the MAIL FROM domain is a subdomain of the From domain)", () =>
    Effect.gen(function*() {
      const out = yield* deliver({ mailFrom: "bounces@bounce.reject.test", raw: messageFrom(["alice@reject.test"]) })
      assert.strictEqual(out.verdict._tag, "Continue")
      assert.deepStrictEqual(resultOf(out.ar, "spf"), ["pass"])
      assert.deepStrictEqual(resultOf(out.ar, "dmarc"), ["pass"])
    }).pipe(Effect.provide(pipelineOf())))

  it.live("p=reject passes with a real DKIM signature aligned: d=reject.test exactly, and d=mail.reject.test relaxed", () =>
    Effect.gen(function*() {
      for (const d of ["reject.test", "mail.reject.test"]) {
        const raw = yield* sign(messageFrom(["alice@reject.test"]), d)
        const out = yield* deliver({ mailFrom: "alice@spoof.test", raw })
        assert.strictEqual(out.verdict._tag, "Continue", d)
        assert.deepStrictEqual(resultOf(out.ar, "spf"), ["fail"])
        assert.deepStrictEqual(resultOf(out.ar, "dkim"), ["pass"])
        assert.include(out.ar, `header.i=@${d} header.s=s1`)
        assert.deepStrictEqual(resultOf(out.ar, "dmarc"), ["pass"])
      }
    }).pipe(Effect.provide(pipelineOf())))

  it.live("a DKIM signature of an unrelated domain, or a broken one, does not align", () =>
    Effect.gen(function*() {
      const other = yield* sign(messageFrom(["alice@reject.test"]), "strict.test")
      assert.match((yield* deliver({ mailFrom: "alice@spoof.test", raw: other })).reply, /^550 5\.7\.1 /)
      const tampered = (yield* sign(messageFrom(["alice@reject.test"]), "reject.test")).replace("Hello Bob.", "Hello Eve.")
      const out = yield* deliver({ mailFrom: "alice@spoof.test", raw: tampered })
      assert.match(out.reply, /^550 5\.7\.1 /)
    }).pipe(Effect.provide(pipelineOf())))

  it.live("strict alignment (adkim=s, aspf=s): only the From domain itself aligns", () =>
    Effect.gen(function*() {
      const sub = yield* sign(messageFrom(["alice@strict.test"]), "mail.strict.test")
      assert.match((yield* deliver({ mailFrom: "alice@spoof.test", raw: sub })).reply, /^550 5\.7\.1 .*strict\.test/)
      const spfSub = yield* deliver({ mailFrom: "bounces@bounce.strict.test", raw: messageFrom(["alice@strict.test"]) })
      assert.match(spfSub.reply, /^550 5\.7\.1 /)
      const exact = yield* sign(messageFrom(["alice@strict.test"]), "strict.test")
      const out = yield* deliver({ mailFrom: "alice@spoof.test", raw: exact })
      assert.strictEqual(out.verdict._tag, "Continue")
      assert.deepStrictEqual(resultOf(out.ar, "dmarc"), ["pass"])
    }).pipe(Effect.provide(pipelineOf())))

  it.live("organisational domain from the public suffix list: mail.example.co.uk gets example.co.uk's sp=reject", () =>
    Effect.gen(function*() {
      const out = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["alice@mail.example.co.uk"]) })
      assert.match(out.reply, /^550 5\.7\.1 Message rejected by the DMARC policy of mail\.example\.co\.uk/)
      assert.strictEqual(out.dmarc === false ? "" : out.dmarc?.policy, "reject")
    }).pipe(Effect.provide(pipelineOf())))

  it.live("p=none: accepted, dmarc=fail written; p=quarantine: the quarantine header", () =>
    Effect.gen(function*() {
      const none = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["alice@none.test"]) })
      assert.strictEqual(none.verdict._tag, "Continue")
      assert.deepStrictEqual(resultOf(none.ar, "dmarc"), ["fail"])
      assert.isUndefined(none.quarantine)
      const quarantine = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["alice@quarantine.test"]) })
      assert.strictEqual(quarantine.verdict._tag, "Continue")
      assert.strictEqual(quarantine.quarantine, "dmarc=fail policy=quarantine header.from=quarantine.test")
    }).pipe(Effect.provide(pipelineOf())))

  it.live("p=reject configurable: quarantine-as-header, tag only, and monitor mode (nothing enforced, field written)", () =>
    Effect.gen(function*() {
      const raw = messageFrom(["alice@reject.test"])
      const asQuarantine = yield* deliver({ mailFrom: "alice@spoof.test", raw }).pipe(Effect.provide(pipelineOf({ reject: "quarantine" })))
      assert.strictEqual(asQuarantine.quarantine, "dmarc=fail policy=reject header.from=reject.test")
      const tagged = yield* deliver({ mailFrom: "alice@spoof.test", raw }).pipe(Effect.provide(pipelineOf({ reject: "tag" })))
      assert.strictEqual(tagged.verdict._tag, "Continue")
      assert.isUndefined(tagged.quarantine)
      assert.deepStrictEqual(resultOf(tagged.ar, "dmarc"), ["fail"])
      for (const from of ["alice@reject.test", "alice@quarantine.test", "alice@servfail.test"]) {
        const monitored = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom([from]) }).pipe(
          Effect.provide(pipelineOf({ mode: "monitor", temperror: "defer" }))
        )
        assert.strictEqual(monitored.verdict._tag, "Continue", from)
        assert.isUndefined(monitored.quarantine)
        assert.strictEqual(resultOf(monitored.ar, "dmarc").length, 1)
      }
      const missing = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom([]) }).pipe(Effect.provide(pipelineOf({ mode: "monitor" })))
      assert.strictEqual(missing.verdict._tag, "Continue")
    }))

  it.live("pct=0: a failing message gets the next less strict policy (quarantine, not reject)", () =>
    Effect.gen(function*() {
      const out = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["alice@pct.test"]) })
      assert.strictEqual(out.verdict._tag, "Continue")
      assert.strictEqual(out.quarantine, "dmarc=fail policy=quarantine header.from=pct.test")
    }).pipe(Effect.provide(pipelineOf())))

  it.live("no policy published: dmarc=none, accepted", () =>
    Effect.gen(function*() {
      const out = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["alice@nopolicy.test"]) })
      assert.strictEqual(out.verdict._tag, "Continue")
      assert.deepStrictEqual(resultOf(out.ar, "dmarc"), ["none"])
    }).pipe(Effect.provide(pipelineOf())))

  it.live("temporary DNS failure of the policy lookup (SERVFAIL, timeout): accepted with dmarc=temperror; 451 4.4.3 when asked", () =>
    Effect.gen(function*() {
      for (const domain of ["servfail.test", "slow.test"]) {
        const raw = messageFrom([`alice@${domain}`])
        const accepted = yield* deliver({ mailFrom: "alice@spoof.test", raw }).pipe(Effect.provide(pipelineOf()))
        assert.strictEqual(accepted.verdict._tag, "Continue", domain)
        assert.deepStrictEqual(resultOf(accepted.ar, "dmarc"), ["temperror"])
        const deferred = yield* deliver({ mailFrom: "alice@spoof.test", raw }).pipe(Effect.provide(pipelineOf({ temperror: "defer" })))
        assert.strictEqual(deferred.reply, `451 4.4.3 DMARC policy of ${domain} could not be looked up, please try again later`)
      }
    }))

  it.live("malformed records: two DMARC records (no policy), p=bogus and a record without ';' (no valid p): never refused", () =>
    Effect.gen(function*() {
      const two = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["alice@two.test"]) })
      assert.strictEqual(two.verdict._tag, "Continue")
      assert.deepStrictEqual(resultOf(two.ar, "dmarc"), ["none"])
      for (const domain of ["bogus.test", "nosemicolon.test"]) {
        const out = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom([`alice@${domain}`]) })
        assert.strictEqual(out.verdict._tag, "Continue", domain)
        assert.isUndefined(out.quarantine)
      }
    }).pipe(Effect.provide(pipelineOf())))

  it.live("From: none or over 10 domains → 550 5.7.1 (or accepted with dmarc=permerror); several → each evaluated, the strictest wins", () =>
    Effect.gen(function*() {
      const none = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom([]) })
      assert.strictEqual(none.reply, "550 5.7.1 Message rejected: no From address with a domain (RFC 5322 section 3.6.2)")
      const noDomain = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["undisclosed"]) })
      assert.match(noDomain.reply, /^550 5\.7\.1 Message rejected: no From/)
      const accepted = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom([]) }).pipe(
        Effect.provide(pipelineOf({ badFrom: "accept" }))
      )
      assert.deepStrictEqual(resultOf(accepted.ar, "dmarc"), ["permerror"])
      const several = yield* deliver({
        mailFrom: "bounces@bounce.reject.test",
        raw: messageFrom(["alice@reject.test, carol@none.test"])
      })
      assert.strictEqual(several.verdict._tag, "Continue")
      assert.deepStrictEqual(resultOf(several.ar, "dmarc"), ["pass", "fail"])
      const strictest = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["carol@none.test", "alice@reject.test"]) })
      assert.match(strictest.reply, /^550 5\.7\.1 Message rejected by the DMARC policy of reject\.test/)
      const eleven = Array.from({ length: 11 }, (_, i) => `u${i}@d${i}.nopolicy.test`).join(", ")
      const tooMany = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom([eleven]) })
      assert.strictEqual(tooMany.reply, "550 5.7.1 Message rejected: more than 10 From domains")
      const tooManyAccepted = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom([eleven]) }).pipe(
        Effect.provide(pipelineOf({ badFrom: "accept" }))
      )
      assert.deepStrictEqual(resultOf(tooManyAccepted.ar, "dmarc"), ["permerror", ...Array.from({ length: 10 }, () => "none")])
      // An encoded word in the display name is a name, not an address: only none.test is evaluated.
      const encoded = yield* deliver({ mailFrom: "alice@spoof.test", raw: messageFrom(["=?utf-8?q?Bob_=3Cbob=40reject=2Etest=3E?= <alice@none.test>"]) })
      assert.strictEqual(encoded.verdict._tag, "Continue")
      assert.deepStrictEqual(resultOf(encoded.ar, "dmarc"), ["fail"])
      assert.include(encoded.ar, "header.from=none.test")
      const sameDomain = yield* deliver({ mailFrom: "bounces@bounce.reject.test", raw: messageFrom(["alice@reject.test, bob@REJECT.test"]) })
      assert.deepStrictEqual(resultOf(sameDomain.ar, "dmarc"), ["pass"])
    }).pipe(Effect.provide(pipelineOf({ badFrom: "reject" }))))
})

describe("Dmarc plugin: Authentication-Results", () => {
  it.live("one field with our authserv-id listing spf, each dkim signature, arc and dmarc; kept in Results.Written", () =>
    Effect.gen(function*() {
      const once = yield* sign(messageFrom(["Alice <alice@passing.test>"]), "reject.test")
      const raw = yield* sign(once, "mail.reject.test")
      const out = yield* deliver({ mailFrom: "alice@passing.test", raw })
      const ar = out.ar ?? ""
      assert.match(ar, /^mx\.test; spf=pass \(mx\.test: domain of alice@passing\.test designates 203\.0\.113\.5 as permitted sender\) smtp\.mailfrom=alice@passing\.test smtp\.helo=client\.test; /)
      assert.deepStrictEqual(resultOf(ar, "dkim"), ["pass", "pass"])
      assert.include(ar, "dkim=pass header.i=@reject.test header.s=s1 header.a=rsa-sha256")
      assert.include(ar, "dkim=pass header.i=@mail.reject.test header.s=s1 header.a=rsa-sha256")
      assert.match(ar, /; dmarc=pass \(p=REJECT arc=none\) header\.from=passing\.test header\.d=passing\.test$/)
      assert.notInclude(ar, "\n")
      assert.deepStrictEqual(out.written, { name: "Authentication-Results", value: ar })
    }).pipe(Effect.provide(pipelineOf())))

  it.live("a method whose plugin did not run is absent (no ARC result: no arc entry); an unsigned message: dkim=none", () =>
    Effect.gen(function*() {
      const out = yield* deliver({ mailFrom: "alice@passing.test", raw: messageFrom(["alice@passing.test"]), arc: false })
      assert.deepStrictEqual(resultOf(out.ar, "arc"), [])
      assert.notMatch(out.ar ?? "", /[ (;]arc=/)
      assert.include(out.ar, "dkim=none (message not signed)")
      assert.deepStrictEqual(resultOf(out.ar, "dkim"), ["none"])
      assert.deepStrictEqual(resultOf(out.ar, "dmarc"), ["pass"])
    }).pipe(Effect.provide(pipelineOf())))

  it.live("forged fields with our authserv-id are asked to be removed (every client); authenticated clients get no field", () =>
    Effect.gen(function*() {
      const raw = messageFrom(["alice@reject.test"], "Authentication-Results: mx.test; dmarc=pass\r\n")
      const user = yield* deliver({ mailFrom: "alice@spoof.test", raw, connection: { user: "alice" } })
      assert.strictEqual(user.verdict._tag, "Continue")
      assert.isUndefined(user.ar)
      const removals = yield* HeaderEdits.requested(user.txn)
      assert.strictEqual(removals.length, 1)
      const removal = removals[0]
      assert.strictEqual(removal?.name, "Authentication-Results")
      assert.isTrue(removal?.matches?.("MX.test; dkim=pass") ?? false)
      assert.isFalse(removal?.matches?.("other.test; dkim=pass") ?? true)
    }).pipe(Effect.provide(pipelineOf())))

  it.effect("bad options stop start-up with a message naming the option", () =>
    Effect.gen(function*() {
      const error = (options: DmarcPolicy.Options) => Effect.flip(Layer.build(pipelineOf(options))).pipe(Effect.map(String))
      assert.match(yield* error({ reject: "bounce" as DmarcPolicy.RejectAction }), /invalid reject: expected one of reject, quarantine, tag, got "bounce"/)
      assert.match(yield* error({ authservId: "mx test" }), /invalid authservId/)
      assert.match(yield* error({ quarantineHeader: "X Bad" }), /invalid quarantineHeader/)
    }).pipe(Effect.scoped))

  it.live("pluginConfig: CARTERO_AUTHSERV_ID (default CARTERO_HOSTNAME), CARTERO_DMARC_*; a bad value names the variable", () => {
    const provider = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env }))
    const policyOf = (env: Record<string, string>) =>
      Effect.flip(Effect.scoped(Layer.build(
        Pipeline.Pipeline.layer([Dmarc.pluginConfig]).pipe(Layer.provide(MailAuthTesting.dns(zones)), Layer.provide(provider(env)))
      ))).pipe(Effect.map(String))
    const configOf = (env: Record<string, string>) =>
      Effect.gen(function*() {
        return yield* Dmarc.config
      }).pipe(Effect.provide(provider(env)))
    return Effect.gen(function*() {
      assert.strictEqual((yield* configOf({ CARTERO_HOSTNAME: "mx.host.test" })).authservId, "mx.host.test")
      const full = yield* configOf({
        CARTERO_HOSTNAME: "mx.host.test",
        CARTERO_AUTHSERV_ID: "auth.example.test",
        CARTERO_DMARC_MODE: "monitor",
        CARTERO_DMARC_REJECT: "quarantine",
        CARTERO_DMARC_QUARANTINE: "tag",
        CARTERO_DMARC_TEMPERROR: "defer",
        CARTERO_DMARC_BAD_FROM: "accept"
      })
      assert.deepStrictEqual(full, {
        authservId: "auth.example.test",
        mode: "monitor",
        reject: "quarantine",
        quarantine: "tag",
        temperror: "defer",
        badFrom: "accept",
        quarantineHeader: "X-Cartero-Quarantine"
      })
      assert.include(yield* policyOf({ CARTERO_DMARC_MODE: "enforcing" }), `CARTERO_DMARC_MODE: expected one of enforce, monitor, got "enforcing"`)
    })
  })
})
