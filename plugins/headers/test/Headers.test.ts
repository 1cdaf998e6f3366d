/**
 * The plugin's decisions through the pipeline, without a socket: what it adds, what it asks to remove, for whom.
 */
import { HeaderEdits, Pipeline, type Plugin } from "@cartero/core"
import { TestSession } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import { TestClock } from "effect/testing"
import { Headers, PrivateReceived, Submission } from "../src/index.ts"

const run = (plugin: Plugin.Plugin<unknown>, conn = TestSession.connection({ user: "alice" }), raw = "Subject: hi\r\n\r\nbody\r\n") =>
  Effect.gen(function*() {
    const pipeline = yield* Pipeline.Pipeline
    const txn = TestSession.transaction(conn, ["bob@example.org"], { id: "01TESTTXN" })
    const verdict = yield* pipeline.message(txn, TestSession.message("Received: from x by mx.test with ESMTPSA id 01TESTTXN; date\r\n", raw))
    const removals = yield* HeaderEdits.requested(txn)
    return {
      tag: verdict._tag,
      added: verdict._tag === "Continue" || verdict._tag === "Accept" ? verdict.headers : [],
      removals: removals.map((r) => ({ name: r.name, where: r.where ?? "received", matches: r.matches }))
    }
  }).pipe(Effect.provide(Pipeline.Pipeline.layer([plugin])))

describe("Headers (pipeline)", () => {
  it.effect("submission without Message-ID and Date: both added (Date from the clock), Bcc and Resent-Bcc removed", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(Date.UTC(2026, 10, 26, 5, 25, 7))
      const out = yield* run(Headers.plugin({ hostname: "mail.example.org" }))
      assert.strictEqual(out.tag, "Continue")
      assert.deepStrictEqual(out.added.map((h) => h.name), ["Message-ID", "Date"])
      assert.match(out.added[0]?.value ?? "", /^<[0-9a-f-]{36}@mail\.example\.org>$/)
      assert.strictEqual(out.added[1]?.value, "Thu, 26 Nov 2026 05:25:07 +0000")
      assert.deepStrictEqual(out.removals.map((r) => [r.name, r.where]), [
        ["Bcc", "received"],
        ["Resent-Bcc", "received"],
        ["Message-ID", "received"],
        ["Date", "received"]
      ])
    }))

  it.effect("present Message-ID and Date are kept: nothing added, only the blind fields are removed", () =>
    Effect.gen(function*() {
      const out = yield* run(
        Headers.plugin({ hostname: "mail.example.org" }),
        undefined,
        "Message-ID: <x@client.example>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0100\r\nBcc: carol@example.org\r\n\r\nbody\r\n"
      )
      assert.deepStrictEqual(out.added, [])
      assert.deepStrictEqual(out.removals.map((r) => r.name), ["Bcc", "Resent-Bcc"])
    }))

  it.effect("an empty Message-ID counts as missing; the removal picks only empty ones", () =>
    Effect.gen(function*() {
      const out = yield* run(Headers.plugin({ hostname: "mail.example.org" }), undefined, "Message-ID:  \r\nDate: Wed, 25 Nov 2026 10:00:00 +0100\r\n\r\nx\r\n")
      assert.deepStrictEqual(out.added.map((h) => h.name), ["Message-ID"])
      const removal = out.removals.find((r) => r.name === "Message-ID")
      assert.isTrue(removal?.matches?.(" ") ?? false)
      assert.isFalse(removal?.matches?.("<a@b>") ?? true)
    }))

  it.effect("privacy: the server's Received for this transaction is removed from prepend and a sanitised one added first", () =>
    Effect.gen(function*() {
      const out = yield* run(
        Headers.plugin({ hostname: "mail.example.org", privacy: true }),
        TestSession.connection({ user: "alice", secure: true, listener: "submission" })
      )
      assert.deepStrictEqual(out.added.map((h) => h.name), ["Received", "Message-ID", "Date"])
      assert.strictEqual(out.added[0]?.value, "by mail.example.org (Cartero) with ESMTPSA id 01TESTTXN; Thu, 1 Jan 1970 00:00:00 +0000")
      const received = out.removals.find((r) => r.name === "Received")
      assert.strictEqual(received?.where, "added")
      assert.isTrue(received?.matches?.("from client.test (unknown [203.0.113.5]) by mx.test with ESMTPSA id 01TESTTXN; date") ?? false)
      assert.isFalse(received?.matches?.("from a by b with ESMTP id 01TESTTXNX; date") ?? true, "another id")
      assert.isFalse(received?.matches?.("from a by b with ESMTP id OTHER; date") ?? true)
    }))

  it.effect("MX traffic (not authenticated, not trusted) is not touched", () =>
    Effect.gen(function*() {
      const out = yield* run(Headers.plugin({ privacy: true }), TestSession.connection(), "Bcc: carol@example.org\r\n\r\nx\r\n")
      assert.deepStrictEqual(out, { tag: "Continue", added: [], removals: [] })
    }))

  it.effect("who is submission: AUTH, a trusted listener, a submission listener, a trusted network", () =>
    Effect.gen(function*() {
      const clients = (trustedNetworks: ReadonlyArray<string> = [], listeners?: ReadonlyArray<"mx" | "submission" | "smtps">) => {
        const p = Headers.policy({ hostname: "h.example", trustedNetworks, listeners })
        if (p._tag === "Failure") throw p.failure
        return p.success.clients
      }
      const is = Submission.isSubmission
      assert.isTrue(is(clients(), TestSession.connection({ user: "alice" })))
      assert.isTrue(is(clients(), TestSession.connection({ trusted: true })))
      assert.isTrue(is(clients(), TestSession.connection({ listener: "submission" })))
      assert.isTrue(is(clients(), TestSession.connection({ listener: "smtps" })))
      assert.isFalse(is(clients(), TestSession.connection()))
      assert.isTrue(is(clients(["203.0.113.0/24"]), TestSession.connection()))
      assert.isTrue(is(clients(["203.0.113.0/24"]), TestSession.connection({ remoteAddress: "::ffff:203.0.113.5" })))
      assert.isFalse(is(clients(["198.51.100.0/24"]), TestSession.connection()))
      assert.isFalse(is(clients([], ["mx"]), TestSession.connection({ listener: "submission" })))
      assert.isTrue(is(clients([], ["mx"]), TestSession.connection()))
    }))

  it("the privacy Received names the protocol the session used (RFC 3848)", () => {
    const p = (o: Parameters<typeof TestSession.connection>[0]) => PrivateReceived.protocol(TestSession.connection(o))
    assert.deepStrictEqual(
      [p({ esmtp: false }), p({}), p({ secure: true }), p({ user: "a" }), p({ user: "a", secure: true })],
      ["SMTP", "ESMTP", "ESMTPS", "ESMTPA", "ESMTPSA"]
    )
  })

  it.effect("bad options fail the pipeline layer with a message naming the option", () =>
    Effect.gen(function*() {
      const bad = (options: Headers.Options) =>
        Effect.exit(Layer.build(Pipeline.Pipeline.layer([Headers.plugin(options)])).pipe(Effect.scoped))
      const host = yield* bad({ hostname: "not a host" })
      assert.isTrue(Exit.isFailure(host))
      assert.include(String(host), "option hostname: \"not a host\" is not a host name")
      const networks = yield* bad({ hostname: "h.example", trustedNetworks: ["10.1.2.3/8"] })
      assert.include(String(networks), "option trustedNetworks: invalid network \"10.1.2.3/8\"")
    }))
})

describe("Headers.config (environment)", () => {
  const read = (env: Record<string, string>) =>
    Effect.exit(Effect.gen(function*() {
      return yield* Headers.config
    }).pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))

  it.effect("defaults, and every variable", () =>
    Effect.gen(function*() {
      const defaults = yield* read({ CARTERO_HOSTNAME: "mail.example.org" })
      assert.isTrue(Exit.isSuccess(defaults))
      if (Exit.isSuccess(defaults)) {
        assert.strictEqual(defaults.value.hostname, "mail.example.org")
        assert.isFalse(defaults.value.privacy)
        assert.deepStrictEqual(defaults.value.clients, { listeners: ["submission", "smtps"], trustedNetworks: [] })
      }
      const all = yield* read({
        CARTERO_HOSTNAME: "mail.example.org",
        CARTERO_HEADERS_PRIVACY: "yes",
        CARTERO_HEADERS_LISTENERS: "submission, mx",
        CARTERO_HEADERS_TRUSTED_NETWORKS: "10.0.0.0/8,::1/128"
      })
      if (!Exit.isSuccess(all)) return assert.fail(String(all))
      assert.isTrue(all.value.privacy)
      assert.deepStrictEqual(all.value.clients.listeners, ["submission", "mx"])
      assert.strictEqual(all.value.clients.trustedNetworks.length, 2)
    }))

  it.effect("a bad value names the variable, what was expected and what was got", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ CARTERO_HEADERS_PRIVACY: "maybe" }, `CARTERO_HEADERS_PRIVACY: expected true or false, got "maybe"`],
        [{ CARTERO_HEADERS_LISTENERS: "submission,pop3" }, `CARTERO_HEADERS_LISTENERS: expected a comma-separated list of mx, submission, smtps, got "submission,pop3"`],
        [{ CARTERO_HEADERS_TRUSTED_NETWORKS: "10.1.2.3/8" }, `CARTERO_HEADERS_TRUSTED_NETWORKS: expected a comma-separated list of CIDR networks`],
        [{ CARTERO_HOSTNAME: "bad host" }, `CARTERO_HOSTNAME: expected a host name, got "bad host"`]
      ]
      for (const [env, message] of cases) {
        const exit = yield* read({ CARTERO_HOSTNAME: "mail.example.org", ...env })
        assert.isTrue(Exit.isFailure(exit), message)
        assert.include(String(exit), message)
      }
    }))
})
