import { TestSession } from "@cartero/testing"
import { Pipeline } from "@cartero/core"
import { SmtpReply, type Verdict } from "@cartero/smtp"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import * as LocalDomains from "../src/LocalDomains.ts"

const { connection, recipient, transaction } = TestSession

const wire = (verdict: Verdict.Verdict): string =>
  verdict._tag === "Continue" ? "Continue" : verdict._tag === "Accept" ? "Accept" : SmtpReply.toString(verdict.reply)

const withEnv = (env: Record<string, string>) => ConfigProvider.layer(ConfigProvider.fromEnv({ env }))

describe("LocalDomains.plugin", () => {
  const pipeline = Pipeline.Pipeline.layer([
    LocalDomains.plugin({ domains: ["example.com"], addresses: ["alice@example.com"], trustedNetworks: ["10.0.0.0/8"] })
  ])

  it.effect("accepts local users, refuses unknown ones with 550 5.1.1 and relaying with 550 5.7.1", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.Pipeline
      const txn = transaction(connection())
      assert.strictEqual(wire(yield* p.rcptTo(txn, recipient("Alice@Example.com"))), "Accept")
      assert.strictEqual(wire(yield* p.rcptTo(txn, recipient("bob@example.com"))), "550 5.1.1 No such user here")
      assert.strictEqual(wire(yield* p.rcptTo(txn, recipient("x@remote.test"))), "550 5.7.1 Relaying denied")
    }).pipe(Effect.provide(pipeline)))

  it.effect("relays for trusted networks and authenticated users, and notes who is local", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.Pipeline
      const trusted = transaction(connection({ remoteAddress: "::ffff:10.9.8.7" }))
      assert.strictEqual(wire(yield* p.rcptTo(trusted, recipient("x@remote.test"))), "Accept")
      assert.strictEqual(wire(yield* p.rcptTo(trusted, recipient("alice@example.com"))), "Accept")
      assert.isFalse(yield* LocalDomains.isLocal(trusted, recipient("x@remote.test")))
      assert.isTrue(yield* LocalDomains.isLocal(trusted, recipient("alice@example.com")))
      // never accepted by this plugin: not local
      assert.isFalse(yield* LocalDomains.isLocal(trusted, recipient("bob@example.com")))

      const authenticated = transaction(connection({ user: "carol" }))
      assert.strictEqual(wire(yield* p.rcptTo(authenticated, recipient("x@remote.test"))), "Accept")
    }).pipe(Effect.provide(pipeline)))

  it.effect("a bad option fails the pipeline layer", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(
        Layer.build(Pipeline.Pipeline.layer([LocalDomains.plugin({ domains: ["example.com"], trustedNetworks: ["10.0.0.1/8"] })]))
          .pipe(Effect.scoped)
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), "trustedNetworks")
    }))
})

describe("LocalDomains.pluginConfig", () => {
  const pipeline = Pipeline.Pipeline.layer([LocalDomains.pluginConfig])

  it.effect("defaults: localhost is local (catch-all), nobody relays, not even loopback", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.Pipeline
      const loopback = transaction(connection({ remoteAddress: "127.0.0.1" }))
      assert.strictEqual(wire(yield* p.rcptTo(loopback, recipient("someone@localhost"))), "Accept")
      assert.strictEqual(wire(yield* p.rcptTo(loopback, recipient("x@remote.test"))), "550 5.7.1 Relaying denied")
      const loopback6 = transaction(connection({ remoteAddress: "::1" }))
      assert.strictEqual(wire(yield* p.rcptTo(loopback6, recipient("x@remote.test"))), "550 5.7.1 Relaying denied")
    }).pipe(Effect.provide(pipeline), Effect.provide(withEnv({}))))

  it.effect("reads domains, addresses and trusted networks from the environment", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.Pipeline
      const loopback = transaction(connection({ remoteAddress: "::ffff:127.0.0.1" }))
      assert.strictEqual(wire(yield* p.rcptTo(loopback, recipient("x@remote.test"))), "Accept")
      assert.strictEqual(wire(yield* p.rcptTo(loopback, recipient("alice@b.test"))), "Accept")
      assert.strictEqual(wire(yield* p.rcptTo(loopback, recipient("bob@b.test"))), "550 5.1.1 No such user here")
      assert.strictEqual(wire(yield* p.rcptTo(loopback, recipient("anyone@c.test"))), "Accept")
      assert.strictEqual(wire(yield* p.rcptTo(loopback, recipient("x@localhost"))), "Accept")
    }).pipe(
      Effect.provide(pipeline),
      Effect.provide(withEnv({
        CARTERO_LOCAL_DOMAINS: "b.test, c.test,localhost",
        CARTERO_LOCAL_ADDRESSES: "alice@b.test,@c.test,@localhost",
        CARTERO_TRUSTED_NETWORKS: "127.0.0.0/8,::1/128"
      }))
    ))

  it.effect("the postmaster of CARTERO_HOSTNAME is local: the server's <Postmaster> is accepted", () =>
    Effect.gen(function*() {
      const p = yield* Pipeline.Pipeline
      const txn = transaction(connection({ remoteAddress: "203.0.113.5" }))
      assert.strictEqual(wire(yield* p.rcptTo(txn, recipient("postmaster@mx.example.net"))), "Accept")
      assert.strictEqual(wire(yield* p.rcptTo(txn, recipient("root@mx.example.net"))), "550 5.7.1 Relaying denied")
    }).pipe(Effect.provide(pipeline), Effect.provide(withEnv({ CARTERO_HOSTNAME: "mx.example.net" }))))

  it.effect.each([
    [{ CARTERO_HOSTNAME: "bad host" }, "CARTERO_HOSTNAME"],
    [{ CARTERO_TRUSTED_NETWORKS: "127.0.0.1/8" }, "CARTERO_TRUSTED_NETWORKS"],
    [{ CARTERO_LOCAL_DOMAINS: "exa mple.com" }, "CARTERO_LOCAL_DOMAINS"],
    [{ CARTERO_LOCAL_ADDRESSES: "alice@elsewhere.test" }, "CARTERO_LOCAL_ADDRESSES"]
  ] as const)("a bad value fails start-up naming %o", ([env, variable]) =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(Layer.build(pipeline).pipe(Effect.scoped, Effect.provide(withEnv(env))))
      assert.isTrue(Exit.isFailure(exit))
      assert.include(String(exit), variable)
    }))
})
