/**
 * The plugin through the outbound pipeline: the fields its `beforeSend` hook returns, rendered on top of the message
 * as the delivery worker sends it, checked by mailauth's verifier against the keys' records in FakeDns.
 */
import { OutboundPipeline } from "@cartero/delivery"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Logger, References } from "effect"
import * as DkimSign from "../src/DkimSign.ts"
import { ed25519, keyDir, message, outcomes, rsa, signatureTags, signWith, verify, zones } from "./support/fixtures.ts"

/** Log lines (message text and annotations) written while `effect` runs, at Info and above. */
const withLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) => {
  const logs: Array<{ readonly level: string; readonly message: string; readonly annotations: Record<string, unknown> }> = []
  const capture = Logger.make<unknown, void>((options) => {
    logs.push({
      level: options.logLevel,
      message: String(Array.isArray(options.message) ? options.message[0] : options.message),
      annotations: options.fiber.getRef(References.CurrentLogAnnotations)
    })
  })
  return effect.pipe(
    Effect.map((value) => ({ value, logs })),
    Effect.provide(Logger.layer([capture])),
    Effect.provideService(References.MinimumLogLevel, "Info")
  )
}

/** Keeps the start-up Info lines out of the test output (warnings still show). */
const quiet = Effect.provideService(References.MinimumLogLevel, "Warn")

const prepend = (field: string, signed: Uint8Array) => new Uint8Array(Buffer.concat([Buffer.from(field), signed]))

describe("DkimSign", () => {
  it.live("RSA: one relaxed/relaxed rsa-sha256 signature of the From domain that mailauth verifies", () =>
    Effect.gen(function*() {
      const keys = [rsa()]
      const { sources } = yield* keyDir(keys)
      const { message: signed } = yield* signWith(DkimSign.plugin({ keys: sources }), message())
      const [tags] = signatureTags(signed)
      assert.deepInclude(tags, { v: "1", a: "rsa-sha256", c: "relaxed/relaxed", d: "example.test", s: "rsa1" })
      assert.deepStrictEqual(outcomes(yield* verify(signed, zones(keys))), ["pass"])
    }).pipe(Effect.scoped, quiet))

  it.live("Ed25519 (RFC 8463): an ed25519-sha256 signature that mailauth verifies", () =>
    Effect.gen(function*() {
      const keys = [ed25519()]
      const { sources } = yield* keyDir(keys)
      const { message: signed } = yield* signWith(DkimSign.plugin({ keys: sources }), message())
      assert.deepInclude(signatureTags(signed)[0], { a: "ed25519-sha256", d: "example.test", s: "ed1" })
      assert.deepStrictEqual(outcomes(yield* verify(signed, zones(keys))), ["pass"])
    }).pipe(Effect.scoped, quiet))

  it.live("both keys of a domain: two signatures on one message (RFC 8463 §3), both pass", () =>
    Effect.gen(function*() {
      const keys = [rsa(), ed25519()]
      const { sources } = yield* keyDir(keys)
      const { headers, message: signed } = yield* signWith(DkimSign.plugin({ keys: sources }), message())
      assert.deepStrictEqual(headers.map((h) => h.name), ["DKIM-Signature", "DKIM-Signature"])
      assert.deepStrictEqual(signatureTags(signed).map((t) => t["a"]), ["rsa-sha256", "ed25519-sha256"])
      const results = yield* verify(signed, zones(keys))
      assert.deepStrictEqual(results.map((r) => [r.selector, r.status.result]), [["rsa1", "pass"], ["ed1", "pass"]])
    }).pipe(Effect.scoped, quiet))

  it.live("default list: From, To, Subject, Reply-To and Cc oversigned; a second From or Subject added later breaks it", () =>
    Effect.gen(function*() {
      const keys = [rsa()]
      const { sources } = yield* keyDir(keys)
      const { message: signed } = yield* signWith(DkimSign.plugin({ keys: sources }), message())
      const h = (signatureTags(signed)[0]?.["h"] ?? "").toLowerCase().split(":")
      const count = (name: string) => h.filter((n) => n === name).length
      // Present once, listed twice; absent, listed once (adding one breaks the signature).
      assert.deepStrictEqual([count("from"), count("to"), count("subject"), count("reply-to"), count("cc")], [2, 2, 2, 1, 1])
      assert.deepStrictEqual([count("date"), count("message-id"), count("sender")], [1, 1, 0])
      const zoneSet = zones(keys)
      assert.deepStrictEqual(outcomes(yield* verify(prepend("From: Mallory <ceo@example.test>\r\n", signed), zoneSet)), ["fail"])
      assert.deepStrictEqual(outcomes(yield* verify(prepend("Subject: Urgent wire transfer\r\n", signed), zoneSet)), ["fail"])
      assert.deepStrictEqual(outcomes(yield* verify(prepend("Reply-To: <mallory@evil.test>\r\n", signed), zoneSet)), ["fail"])
      // Fields that are not signed can still be added on the way (trace fields, for one).
      assert.deepStrictEqual(outcomes(yield* verify(prepend("Received: from relay.test\r\n", signed), zoneSet)), ["pass"])
      // Not oversigned: Message-ID is signed, but another one may be added above (and is not what verifiers read).
      assert.deepStrictEqual(outcomes(yield* verify(prepend("Message-ID: <other@example.test>\r\n", signed), zoneSet)), ["pass"])
    }).pipe(Effect.scoped, quiet))

  it.live("the configured header list is honoured: only those fields are signed, the rest may change", () =>
    Effect.gen(function*() {
      const keys = [ed25519()]
      const { sources } = yield* keyDir(keys)
      const { message: signed } = yield* signWith(DkimSign.plugin({ keys: sources, headers: ["From", "Subject", "X-Campaign"], oversign: [] }), `X-Campaign: spring\r\n${message()}`)
      assert.strictEqual(signatureTags(signed)[0]?.["h"]?.toLowerCase(), "subject:from:x-campaign")
      const zoneSet = zones(keys)
      assert.deepStrictEqual(outcomes(yield* verify(signed, zoneSet)), ["pass"])
      const text = Buffer.from(signed).toString("latin1")
      assert.deepStrictEqual(outcomes(yield* verify(Buffer.from(text.replace("To: Bob <bob@dest.test>", "To: Carol <carol@dest.test>"), "latin1"), zoneSet)), ["pass"])
      assert.deepStrictEqual(outcomes(yield* verify(Buffer.from(text.replace("X-Campaign: spring", "X-Campaign: autumn"), "latin1"), zoneSet)), ["fail"])
      // Without oversigning, a second Subject above the signed one goes unnoticed: why it is on by default.
      assert.deepStrictEqual(outcomes(yield* verify(prepend("Subject: Urgent\r\n", signed), zoneSet)), ["pass"])
    }).pipe(Effect.scoped, quiet))

  it.live("the From domain's parent signs when only it has a key (relaxed DMARC alignment)", () =>
    Effect.gen(function*() {
      const keys = [rsa("example.test")]
      const { sources } = yield* keyDir(keys)
      const { message: signed } = yield* signWith(DkimSign.plugin({ keys: sources }), message("News <news@mail.News.Example.TEST>"))
      assert.strictEqual(signatureTags(signed)[0]?.["d"], "example.test")
      assert.deepStrictEqual(outcomes(yield* verify(signed, zones(keys))), ["pass"])
    }).pipe(Effect.scoped, quiet))

  it.live("no key for the From domain: sent unsigned, and logged; with a default domain, signed by it", () =>
    Effect.gen(function*() {
      const keys = [rsa("example.test"), ed25519("service.test", "ed9")]
      const { sources } = yield* keyDir(keys)
      const foreign = message("Carol <carol@elsewhere.test>")
      const { value, logs } = yield* withLogs(signWith(DkimSign.plugin({ keys: sources }), foreign))
      assert.deepStrictEqual(value.headers, [])
      const line = logs.find((l) => l.message === "not DKIM-signed")
      assert.strictEqual(line?.annotations["reason"], "no DKIM key for elsewhere.test")
      assert.strictEqual(line?.annotations["queueId"], "msg-1")

      const byDefault = yield* signWith(DkimSign.plugin({ keys: sources, defaultDomain: "Service.Test" }), foreign)
      assert.deepInclude(signatureTags(byDefault.message)[0], { d: "service.test", s: "ed9" })
      assert.deepStrictEqual(outcomes(yield* verify(byDefault.message, zones(keys))), ["pass"])
      // The From domain's own key still wins over the default.
      const own = yield* signWith(DkimSign.plugin({ keys: sources, defaultDomain: "service.test" }), message())
      assert.strictEqual(signatureTags(own.message)[0]?.["d"], "example.test")
      // No From at all: nothing to align with and nothing RFC 6376 lets us sign.
      const noFrom = yield* withLogs(signWith(DkimSign.plugin({ keys: sources, defaultDomain: "service.test" }), "Subject: x\r\n\r\nbody\r\n"))
      assert.deepStrictEqual(noFrom.value.headers, [])
      assert.strictEqual(noFrom.logs.find((l) => l.message === "not DKIM-signed")?.annotations["reason"], "no From address")
    }).pipe(Effect.scoped, quiet))

  it.live("8-bit and CRLF-heavy bodies sign and verify (blank lines, trailing spaces, dots, long lines, no final CRLF)", () =>
    Effect.gen(function*() {
      const keys = [rsa(), ed25519()]
      const { sources } = yield* keyDir(keys)
      const bodies = [
        "Grüße aus Köln, ça va? 日本語のテキスト\r\n\r\n\r\n",
        ".\r\n..leading dots\r\n\r\ntrailing spaces   \r\n\ttab\t\r\n",
        `${"x".repeat(990)}\r\n${"é".repeat(400)}\r\n`,
        "no final line break",
        ""
      ]
      for (const body of bodies) {
        const raw = `From: =?utf-8?q?J=C3=BCrgen?= <jurgen@example.test>\r\nTo: bob@dest.test\r\nSubject: Grüße\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${body}`
        const { message: signed } = yield* signWith(DkimSign.plugin({ keys: sources }), raw)
        assert.deepStrictEqual(outcomes(yield* verify(signed, zones(keys))), ["pass", "pass"], JSON.stringify(body.slice(0, 40)))
      }
    }).pipe(Effect.scoped, quiet))

  it.live("t= is the signing time; with expireAfter, x= is that much later", () =>
    Effect.gen(function*() {
      const keys = [ed25519()]
      const { sources } = yield* keyDir(keys)
      const before = Math.floor(Date.now() / 1000)
      const { message: signed } = yield* signWith(DkimSign.plugin({ keys: sources, expireAfter: "7 days" }), message())
      const tags = signatureTags(signed)[0] ?? {}
      const t = Number(tags["t"])
      assert.isTrue(t >= before && t <= before + 5, `t=${t}`)
      assert.strictEqual(Number(tags["x"]) - t, 7 * 86_400)
      assert.deepStrictEqual(outcomes(yield* verify(signed, zones(keys))), ["pass"])
    }).pipe(Effect.scoped, quiet))

  it.live("CARTERO_DKIM_KEYS configures the same plugin; a malformed value names the variable", () =>
    Effect.gen(function*() {
      const keys = [rsa(), ed25519()]
      const { sources } = yield* keyDir(keys)
      const env = {
        CARTERO_DKIM_KEYS: sources.map((s) => `${s.domain}:${s.selector}:${s.keyFile}`).join(", "),
        CARTERO_DKIM_HEADERS: "From,Subject,Date",
        CARTERO_DKIM_OVERSIGN: "none",
        CARTERO_DKIM_EXPIRE_AFTER: "1d"
      }
      const fromEnv = (vars: Record<string, string>) => Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: vars })))
      const { message: signed } = yield* signWith(DkimSign.pluginConfig, message()).pipe(fromEnv(env))
      const tags = signatureTags(signed)
      assert.deepStrictEqual(tags.map((t) => [t["s"], t["h"]?.toLowerCase()]), [["rsa1", "date:subject:from"], ["ed1", "date:subject:from"]])
      assert.strictEqual(Number(tags[0]?.["x"]) - Number(tags[0]?.["t"]), 86_400)
      assert.deepStrictEqual(outcomes(yield* verify(signed, zones(keys))), ["pass", "pass"])

      const build = (vars: Record<string, string>) =>
        Layer.build(OutboundPipeline.OutboundPipeline.layer([DkimSign.pluginConfig])).pipe(Effect.scoped, fromEnv(vars), Effect.flip, Effect.map((e) => e.message))
      assert.include(yield* build({ CARTERO_DKIM_KEYS: "example.test/rsa1/key.pem" }), "CARTERO_DKIM_KEYS: expected a comma-separated list of domain:selector:/path/to/key.pem, got \"example.test/rsa1/key.pem\"")
      assert.include(yield* build({}), "CARTERO_DKIM_KEYS")
      assert.include(yield* build({ CARTERO_DKIM_KEYS: env.CARTERO_DKIM_KEYS, CARTERO_DKIM_EXPIRE_AFTER: "soon" }), "CARTERO_DKIM_EXPIRE_AFTER: expected a duration")
    }).pipe(Effect.scoped, quiet))
})
