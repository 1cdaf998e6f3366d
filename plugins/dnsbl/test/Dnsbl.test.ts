import { type Session } from "@cartero/core"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { Dnsbl } from "../src/index.ts"
import { captureWarnings, nibbles, quiet, setup, wire } from "./helpers.ts"

const { connection, recipient, transaction } = TestSession

const zen = "zen.test=127.0.0.[2..11]"

/** Runs connect, then MAIL FROM and one RCPT TO for a client; the RCPT verdict as on the wire. */
const session = (pipeline: Effect.Success<ReturnType<typeof setup>>["pipeline"], conn: Session.Connection, sender = "alice@sender.test") =>
  Effect.gen(function*() {
    const connect = wire(yield* pipeline.connect(conn))
    const txn = transaction(conn, [], { mailFrom: TestSession.address(sender) })
    const mailFrom = wire(yield* pipeline.mailFrom(txn))
    const rcpt = wire(yield* pipeline.rcptTo(txn, recipient("bob@example.test")))
    return { connect, mailFrom, rcpt, txn }
  })

describe("Dnsbl: client address", () => {
  it.live("a listed client is refused at RCPT TO with the zone's TXT; connect and MAIL FROM pass", () =>
    Effect.gen(function*() {
      const { pipeline } = yield* setup({ zones: [zen] })
      const listed = yield* session(pipeline, connection({ remoteAddress: "192.0.2.2" }))
      assert.deepStrictEqual([listed.connect, listed.mailFrom], ["Continue", "Continue"])
      assert.strictEqual(listed.rcpt, "554 5.7.1 zen.test lists 192.0.2.2: Listed by ZEN, see https://zen.test/query/ip/192.0.2.2")
      const clean = yield* session(pipeline, connection({ remoteAddress: "192.0.2.1" }))
      assert.strictEqual(clean.rcpt, "Accept")
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("the return-code filter decides which answers count", () =>
    Effect.gen(function*() {
      const filtered = (yield* setup({ zones: [zen] })).pipeline
      assert.strictEqual((yield* session(filtered, connection({ remoteAddress: "192.0.2.3" }))).rcpt, "Accept")
      const any = (yield* setup({ zones: ["zen.test"] })).pipeline
      assert.strictEqual((yield* session(any, connection({ remoteAddress: "192.0.2.3" }))).rcpt, "554 5.7.1 zen.test lists 192.0.2.3")
      const exact = (yield* setup({ zones: ["zen.test=127.0.0.12"] })).pipeline
      assert.strictEqual((yield* session(exact, connection({ remoteAddress: "192.0.2.3" }))).rcpt, "554 5.7.1 zen.test lists 192.0.2.3")
      assert.strictEqual((yield* session(exact, connection({ remoteAddress: "192.0.2.2" }))).rcpt, "Accept")
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("IPv6 clients are looked up by reversed nibbles; IPv4-mapped clients as IPv4", () =>
    Effect.gen(function*() {
      const { fake, pipeline } = yield* setup({ zones: [zen] })
      const v6 = yield* session(pipeline, connection({ remoteAddress: "2001:db8::25" }))
      assert.strictEqual(v6.rcpt, "554 5.7.1 zen.test lists 2001:db8::25: IPv6 listed")
      assert.strictEqual(yield* fake.queryCount({ name: nibbles("20010db8000000000000000000000025", "zen.test"), type: "A" }), 1)
      const mapped = yield* session(pipeline, connection({ remoteAddress: "::ffff:192.0.2.2" }))
      assert.strictEqual(mapped.rcpt, "554 5.7.1 zen.test lists 192.0.2.2: Listed by ZEN, see https://zen.test/query/ip/192.0.2.2")
      const v6only = (yield* setup({ zones: [{ zone: "zen.test", ipv6: false }] })).pipeline
      assert.strictEqual((yield* session(v6only, connection({ remoteAddress: "2001:db8::25" }))).rcpt, "Accept")
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("a hostile TXT is reduced to bounded printable ASCII", () =>
    Effect.gen(function*() {
      const { pipeline } = yield* setup({ zones: [zen] })
      const { rcpt } = yield* session(pipeline, connection({ remoteAddress: "192.0.2.7" }))
      assert.match(rcpt, /^554 5\.7\.1 zen\.test lists 192\.0\.2\.7: Bad 250 2\.0\.0 Ok caf y+\.\.\.$/)
      assert.notInclude(rcpt, "\r")
      assert.isAtMost(rcpt.length, 260)
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("Spamhaus error codes and answers outside 127/8 are not listings, and are logged at warn", () => {
    const logs = captureWarnings()
    return Effect.gen(function*() {
      const { pipeline } = yield* setup({ zones: ["zen.test"] })
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.4" }))).rcpt, "Accept")
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.8" }))).rcpt, "Accept")
      assert.isTrue(logs.lines.some((l) => l.includes("error code")), logs.lines.join("\n"))
      assert.isTrue(logs.lines.some((l) => l.includes("outside 127.0.0.0/8")), logs.lines.join("\n"))
    }).pipe(Effect.scoped, Effect.provide(logs.layer))
  })

  it.live("SERVFAIL and timeouts pass the client (fail-open, logged); onTempFail: defer answers 451 4.7.1", () => {
    const logs = captureWarnings()
    return Effect.gen(function*() {
      const { pipeline } = yield* setup({ zones: [zen] })
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.5" }))).rcpt, "Accept")
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.6" }))).rcpt, "Accept")
      assert.strictEqual(logs.lines.filter((l) => l.includes("fail-open")).length, 2, logs.lines.join("\n"))
      const strict = (yield* setup({ zones: [zen], onTempFail: "defer" })).pipeline
      assert.strictEqual(
        (yield* session(strict, connection({ remoteAddress: "192.0.2.5" }))).rcpt,
        "451 4.7.1 Blocklist lookup failed for 192.0.2.5, please try again later"
      )
    }).pipe(Effect.scoped, Effect.provide(logs.layer))
  })

  it.live("never checked: the allow list, private and loopback clients, trusted and submission listeners, authenticated clients", () =>
    Effect.gen(function*() {
      const { fake, pipeline } = yield* setup({ zones: [zen], allow: ["192.0.2.0/30", "2001:db8::/64"] })
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.2" }))).rcpt, "Accept")
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "::ffff:192.0.2.2" }))).rcpt, "Accept")
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "2001:db8::25" }))).rcpt, "Accept")
      for (const remoteAddress of ["10.1.2.3", "127.0.0.2", "::1", "192.168.1.1", "fd00::1", "::ffff:10.0.0.1"]) {
        assert.strictEqual((yield* session(pipeline, connection({ remoteAddress }))).rcpt, "Accept", remoteAddress)
      }
      assert.strictEqual(yield* fake.queryCount(), 0)
      // listed, but on listeners that are not checked, or authenticated
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.7", trusted: true }))).rcpt, "Accept")
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.7", listener: "submission" }))).rcpt, "Accept")
      assert.strictEqual(yield* fake.queryCount(), 0)
      const authenticated = connection({ remoteAddress: "192.0.2.7" })
      assert.strictEqual(wire(yield* pipeline.connect(authenticated)), "Continue")
      const afterAuth = { ...authenticated, user: "alice" }
      assert.strictEqual(wire(yield* pipeline.rcptTo(transaction(afterAuth), recipient("bob@example.test"))), "Accept")
      // checkPrivate: loopback is checked (what the transcript test relies on)
      const all = (yield* setup({ zones: ["zen.test"], checkPrivate: true })).pipeline
      assert.strictEqual((yield* session(all, connection({ remoteAddress: "127.0.0.2" }))).rcpt, "Accept")
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("answers are cached: a client that comes back costs no query", () =>
    Effect.gen(function*() {
      const { fake, pipeline } = yield* setup({ zones: [zen] })
      for (let i = 0; i < 3; i++) {
        const { rcpt } = yield* session(pipeline, connection({ remoteAddress: "192.0.2.2" }))
        assert.strictEqual(rcpt, "554 5.7.1 zen.test lists 192.0.2.2: Listed by ZEN, see https://zen.test/query/ip/192.0.2.2")
        assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.1" }))).rcpt, "Accept")
      }
      assert.strictEqual(yield* fake.queryCount({ name: "2.2.0.192.zen.test", type: "A" }), 1)
      assert.strictEqual(yield* fake.queryCount({ name: "2.2.0.192.zen.test", type: "TXT" }), 1)
      // a negative answer (NXDOMAIN with an SOA) is cached too
      assert.strictEqual(yield* fake.queryCount({ name: "1.2.0.192.zen.test", type: "A" }), 1)
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("several zones are asked at once, one query per zone however many entries name it", () =>
    Effect.gen(function*() {
      const { fake, pipeline } = yield* setup({ zones: ["zen.test=127.0.0.2:tag", "zen.test=127.0.0.3", "bl2.test"] })
      const { rcpt, txn } = yield* session(pipeline, connection({ remoteAddress: "192.0.2.9" }))
      assert.strictEqual(rcpt, "554 5.7.1 bl2.test lists 192.0.2.9")
      assert.strictEqual(yield* fake.queryCount({ name: "9.2.0.192.zen.test", type: "A" }), 1)
      const found = yield* Dnsbl.findings(txn)
      assert.deepStrictEqual(found.listings.map((l) => l.entry.label).sort(), ["bl2.test", "zen.test=127.0.0.2:tag"])
    }).pipe(Effect.scoped, Effect.provide(quiet)))
})

describe("Dnsbl: actions", () => {
  it.live("tag adds an X-DNSBL header at DATA and refuses nothing; defer answers 451 4.7.1", () =>
    Effect.gen(function*() {
      const tagging = (yield* setup({ zones: ["zen.test:tag"] })).pipeline
      const { rcpt, txn } = yield* session(tagging, connection({ remoteAddress: "192.0.2.2" }))
      assert.strictEqual(rcpt, "Accept")
      const data = yield* tagging.data(txn)
      assert.deepStrictEqual(data._tag === "Continue" ? data.headers : [], [{ name: "X-DNSBL", value: "zen.test lists 192.0.2.2 (127.0.0.2)" }])
      const clean = yield* session(tagging, connection({ remoteAddress: "192.0.2.1" }))
      const cleanData = yield* tagging.data(clean.txn)
      assert.deepStrictEqual(cleanData._tag === "Continue" ? cleanData.headers : ["?"], [])
      const deferring = (yield* setup({ zones: ["zen.test:defer"] })).pipeline
      assert.strictEqual(
        (yield* session(deferring, connection({ remoteAddress: "192.0.2.2" }))).rcpt,
        "451 4.7.1 zen.test lists 192.0.2.2: Listed by ZEN, see https://zen.test/query/ip/192.0.2.2"
      )
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("weights add up to the threshold; an allow list's negative weight pulls the score down", () =>
    Effect.gen(function*() {
      const { pipeline } = yield* setup({ zones: ["zen.test*1", "bl2.test*2", "wl.test=127.0.[2..15].[2;3]*-5"], threshold: 3 })
      // 192.0.2.2: zen only, score 1
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.2" }))).rcpt, "Accept")
      // 192.0.2.9: zen + bl2, score 3: refused, naming the heavier zone
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.9" }))).rcpt, "554 5.7.1 bl2.test lists 192.0.2.9")
      // 192.0.2.10: zen (1) and the allow list (−5)
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.10" }))).rcpt, "Accept")
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("delayReject: false refuses a listed client at connect, before the banner", () =>
    Effect.gen(function*() {
      const { pipeline } = yield* setup({ zones: [zen], delayReject: false })
      const listed = yield* pipeline.connect(connection({ remoteAddress: "192.0.2.2" }))
      assert.strictEqual(wire(listed), "554 5.7.1 zen.test lists 192.0.2.2: Listed by ZEN, see https://zen.test/query/ip/192.0.2.2")
      assert.strictEqual(wire(yield* pipeline.connect(connection({ remoteAddress: "192.0.2.1" }))), "Continue")
    }).pipe(Effect.scoped, Effect.provide(quiet)))
})

describe("Dnsbl: domain lists", () => {
  const dbl = "dbl.test=127.0.1.[2..99]"

  it.live("the HELO name (or its two-label parent) and the MAIL FROM domain, judged at RCPT TO", () =>
    Effect.gen(function*() {
      const { fake, pipeline } = yield* setup({ domainZones: [dbl] })
      const heloListed = connection({ remoteAddress: "192.0.2.1", helo: "mail.spam.example" })
      assert.strictEqual(wire(yield* pipeline.connect(heloListed)), "Continue")
      assert.strictEqual(wire(yield* pipeline.helo(heloListed, { verb: "EHLO", domain: "mail.spam.example" })), "Continue")
      const txn = transaction(heloListed, [], { mailFrom: TestSession.address("alice@good.example") })
      assert.strictEqual(wire(yield* pipeline.mailFrom(txn)), "Continue")
      assert.strictEqual(wire(yield* pipeline.rcptTo(txn, recipient("bob@example.test"))), "554 5.7.1 dbl.test lists spam.example: spam domain")
      assert.strictEqual(yield* fake.queryCount({ name: "mail.spam.example.dbl.test" }), 1)

      const { rcpt } = yield* session(pipeline, connection({ remoteAddress: "192.0.2.1" }), "someone@Bad.Example")
      assert.strictEqual(rcpt, "554 5.7.1 dbl.test lists bad.example")
      // address literals, the null sender and a failing list pass
      const literal = connection({ remoteAddress: "192.0.2.1" })
      assert.strictEqual(wire(yield* pipeline.connect(literal)), "Continue")
      assert.strictEqual(wire(yield* pipeline.helo(literal, { verb: "EHLO", domain: "[192.0.2.1]" })), "Continue")
      const bounce = transaction(literal, [], { mailFrom: null })
      assert.strictEqual(wire(yield* pipeline.mailFrom(bounce)), "Continue")
      assert.strictEqual(wire(yield* pipeline.rcptTo(bounce, recipient("bob@example.test"))), "Accept")
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.1" }), "x@broken.example")).rcpt, "Accept")
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("delayReject: false refuses at HELO and at MAIL FROM", () =>
    Effect.gen(function*() {
      const { pipeline } = yield* setup({ domainZones: [dbl], delayReject: false })
      const conn = connection({ remoteAddress: "192.0.2.1" })
      assert.strictEqual(wire(yield* pipeline.connect(conn)), "Continue")
      assert.strictEqual(wire(yield* pipeline.helo(conn, { verb: "HELO", domain: "spam.example" })), "554 5.7.1 dbl.test lists spam.example: spam domain")
      const txn = transaction(conn, [], { mailFrom: TestSession.address("x@bad.example") })
      assert.strictEqual(wire(yield* pipeline.mailFrom(txn)), "554 5.7.1 dbl.test lists bad.example")
    }).pipe(Effect.scoped, Effect.provide(quiet)))

  it.live("body links: refused after the body; the scan is bounded in octets and in names", () =>
    Effect.gen(function*() {
      const { fake, pipeline } = yield* setup({ domainZones: [{ zone: "dbl.test", returnCodes: "127.0.1.[2..99]", checks: ["body"] }], maxBodyDomains: 2 })
      const conn = connection({ remoteAddress: "192.0.2.1" })
      yield* pipeline.connect(conn)
      const txn = transaction(conn, ["bob@example.test"])
      const spam = TestSession.message("", "Subject: offer\r\n\r\nClick <a href=3D\"https://www.spa=\r\nm.example/buy\">here</a>\r\n")
      assert.strictEqual(wire(yield* pipeline.message(txn, spam)), "554 5.7.1 dbl.test lists spam.example: spam domain")
      yield* fake.clearQueries
      const many = Array.from({ length: 30 }, (_, i) => `http://host${i}.example/`).join("\r\n")
      assert.strictEqual(wire(yield* pipeline.message(txn, TestSession.message("", `Subject: links\r\n\r\n${many}\r\n`))), "Continue")
      assert.strictEqual(yield* fake.queryCount({ type: "A" }), 2)
      // a link past the scanned octets is not seen
      const late = `Subject: late\r\n\r\n${"x".repeat(70_000)}\r\nhttp://spam.example/\r\n`
      assert.strictEqual(wire(yield* pipeline.message(txn, TestSession.message("", late))), "Continue")
      // HELO and MAIL FROM are not asked of a body-only list
      yield* fake.clearQueries
      assert.strictEqual((yield* session(pipeline, connection({ remoteAddress: "192.0.2.1" }), "x@bad.example")).rcpt, "Accept")
      assert.strictEqual(yield* fake.queryCount(), 0)
    }).pipe(Effect.scoped, Effect.provide(quiet)))
})
