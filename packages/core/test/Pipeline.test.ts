import { assert, describe, it } from "@effect/vitest"
import { Header, SmtpReply, Verdict } from "@cartero/smtp"
import { Cause, Context, type Duration, Effect, Fiber, Layer, Ref, Tracer } from "effect"
import { TestClock } from "effect/testing"
import type * as Hooks from "../src/Hooks.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Plugin from "../src/Plugin.ts"
import { connection, rcpt, transaction } from "./helpers.ts"

const wire = (v: Verdict.Verdict): string =>
  v._tag === "Continue" ? "continue" : v._tag === "Accept" ? "accept" : SmtpReply.format(v.reply)

const run = <A, E>(plugins: ReadonlyArray<Plugin.Plugin<unknown>>, f: (p: Pipeline.PipelineShape) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const pipeline = yield* Pipeline.Pipeline
    return yield* f(pipeline)
  }).pipe(Effect.provide(Pipeline.Pipeline.layer(plugins)))

describe("Pipeline", () => {
  it.effect("builds plugins sequentially in array order", () =>
    Effect.gen(function*() {
      const order = yield* Ref.make<ReadonlyArray<string>>([])
      const mk = (name: string, delay: Duration.Input) =>
        Plugin.make(name, Effect.gen(function*() {
          yield* Effect.sleep(delay)
          yield* Ref.update(order, (o) => [...o, name])
          return {}
        }))
      const fiber = yield* Effect.forkChild(run([mk("slow", "3 seconds"), mk("fast", "1 second")], (p) => Effect.succeed(p.plugins)))
      yield* TestClock.adjust("5 seconds")
      const names = yield* Fiber.join(fiber)
      assert.deepStrictEqual(names, ["slow", "fast"])
      assert.deepStrictEqual(yield* Ref.get(order), ["slow", "fast"])
    }))

  it.effect("first non-Continue verdict wins; later plugins are not asked", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make<ReadonlyArray<string>>([])
      const mk = (name: string, verdict: Verdict.Verdict) =>
        Plugin.make(name, Effect.succeed({
          mailFrom: () => Ref.update(calls, (c) => [...c, name]).pipe(Effect.as(verdict))
        }))
      const v = yield* run(
        [mk("a", Verdict.next), mk("b", Verdict.reject("5.7.1", "Sender blocked")), mk("c", Verdict.accept())],
        (p) => p.mailFrom(transaction())
      )
      assert.strictEqual(wire(v), "550 5.7.1 Sender blocked\r\n")
      assert.deepStrictEqual(yield* Ref.get(calls), ["a", "b"])
    }))

  it.effect("all Continue means Continue for ordinary phases", () =>
    Effect.gen(function*() {
      const v = yield* run([Plugin.make("a", Effect.succeed({ helo: () => Effect.succeed(Verdict.next) }))], (p) =>
        p.helo(connection(), { verb: "EHLO", domain: "x.test" }))
      assert.strictEqual(v._tag, "Continue")
    }))

  it.effect("rcptTo is default-deny with 550 5.7.1", () =>
    Effect.gen(function*() {
      const v = yield* run([Plugin.make("a", Effect.succeed({}))], (p) => p.rcptTo(transaction(), rcpt("bob", "other.test")))
      assert.strictEqual(wire(v), "550 5.7.1 Relaying denied\r\n")
    }))

  it.effect("rcptTo accepted by a plugin", () =>
    Effect.gen(function*() {
      const local = Plugin.make("local", Effect.succeed({
        rcptTo: (_t, r) => Effect.succeed(r.address.domain === "example.test" ? Verdict.accept() : Verdict.next)
      }))
      const ok = yield* run([local], (p) => p.rcptTo(transaction(), rcpt("bob", "example.test")))
      const no = yield* run([local], (p) => p.rcptTo(transaction(), rcpt("bob", "else.test")))
      assert.strictEqual(ok._tag, "Accept")
      assert.strictEqual(wire(no), "550 5.7.1 Relaying denied\r\n")
    }))

  it.effect("auth is default-deny with 535 5.7.8", () =>
    Effect.gen(function*() {
      const v = yield* run([], (p) => p.auth(connection(), { method: "PLAIN", username: "u", verify: () => true }))
      assert.strictEqual(wire(v), "535 5.7.8 Authentication credentials invalid\r\n")
    }))

  it.effect("a hook that fails answers 451 4.3.0", () =>
    Effect.gen(function*() {
      const v = yield* run([Plugin.make("broken", Effect.succeed({ mailFrom: () => Effect.fail("database down") }))], (p) =>
        p.mailFrom(transaction()))
      assert.strictEqual(wire(v), "451 4.3.0 Temporary local problem, please try again later\r\n")
    }))

  it.effect("a hook that dies answers 451 4.3.0 and later plugins are not asked", () =>
    Effect.gen(function*() {
      const asked = yield* Ref.make(false)
      const v = yield* run([
        Plugin.make("dies", Effect.succeed({ rcptTo: () => Effect.die(new Error("bug")) })),
        Plugin.make("after", Effect.succeed({ rcptTo: () => Ref.set(asked, true).pipe(Effect.as(Verdict.accept())) }))
      ], (p) => p.rcptTo(transaction(), rcpt("a", "b.test")))
      assert.strictEqual(wire(v), "451 4.3.0 Temporary local problem, please try again later\r\n")
      assert.isFalse(yield* Ref.get(asked))
    }))

  it.effect("a hook over its timeout answers 451 4.3.0 (TestClock)", () =>
    Effect.gen(function*() {
      const slow = Plugin.make("slow", Effect.succeed({
        helo: () => Effect.sleep("10 seconds").pipe(Effect.as(Verdict.reject("5.7.1", "too late")))
      }), { timeout: "2 seconds" })
      const fiber = yield* Effect.forkChild(run([slow], (p) => p.helo(connection(), { verb: "HELO", domain: "x" })))
      yield* TestClock.adjust("2 seconds")
      const v = yield* Fiber.join(fiber)
      assert.strictEqual(wire(v), "451 4.3.0 Temporary local problem, please try again later\r\n")
    }))

  it.effect("each hook call inside a span runs in a span plugin.<name>.<phase> when a tracer is installed, and in none without", () =>
    Effect.gen(function*() {
      const names: Array<string> = []
      const recording = Tracer.make({
        span: (options) => {
          names.push(options.name)
          return Tracer.nativeTracer.span(options)
        }
      })
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      const policy = Plugin.make("policy", Effect.succeed({
        rcptTo: () =>
          Effect.currentSpan.pipe(
            Effect.flatMap((span) => Ref.update(seen, (s) => [...s, span.name])),
            Effect.ignore,
            Effect.as(Verdict.accept())
          )
      }))
      yield* run([policy], (p) => p.rcptTo(transaction(), rcpt("a", "b.test")).pipe(Effect.withSpan("smtp.message"))).pipe(Effect.withTracer(recording))
      assert.deepStrictEqual(names.filter((n) => n.startsWith("plugin.policy.")), ["plugin.policy.build", "plugin.policy.rcptTo"])
      assert.deepStrictEqual(yield* Ref.get(seen), ["plugin.policy.rcptTo"])
      // Outside any span (a command before DATA), a hook span would be a trace of its own: none is made.
      yield* run([policy], (p) => p.rcptTo(transaction(), rcpt("a", "b.test"))).pipe(Effect.withTracer(recording))
      assert.deepStrictEqual(names.filter((n) => n === "plugin.policy.rcptTo"), ["plugin.policy.rcptTo"])
      // Effect's native tracer exports nothing: no span is made for nobody to read.
      yield* run([policy], (p) => p.rcptTo(transaction(), rcpt("a", "b.test")))
      assert.deepStrictEqual(yield* Ref.get(seen), ["plugin.policy.rcptTo"])
    }))

  it.effect("the default timeout is 30 seconds", () =>
    Effect.gen(function*() {
      const slow = Plugin.make("slow", Effect.succeed({ connect: () => Effect.never }))
      const fiber = yield* Effect.forkChild(run([slow], (p) => p.connect(connection())))
      yield* TestClock.adjust("29 seconds")
      assert.isUndefined(fiber.pollUnsafe())
      yield* TestClock.adjust("1 second")
      const v = yield* Fiber.join(fiber)
      assert.strictEqual(v._tag, "Defer")
    }))

  it.effect("headers of Continue verdicts are collected, in order, and joined with Accept's", () =>
    Effect.gen(function*() {
      const h1 = Header.make("X-One", "1")
      const h2 = Header.make("X-Two", "2")
      const h3 = Header.make("X-Three", "3")
      const msg = { headers: { get: () => undefined, getAll: () => [] }, prepend: "", data: { _tag: "InMemory" as const, bytes: new Uint8Array() } }
      const v = yield* run([
        Plugin.make("a", Effect.succeed({ message: () => Effect.succeed(Verdict.continueWith([h1])) })),
        Plugin.make("b", Effect.succeed({ message: () => Effect.succeed(Verdict.continueWith([h2])) })),
        Plugin.make("c", Effect.succeed({ message: () => Effect.succeed(Verdict.accept({ headers: [h3] })) }))
      ], (p) => p.message(transaction(), msg))
      assert.deepStrictEqual(Verdict.headersOf(v).map((h) => h.name), ["X-One", "X-Two", "X-Three"])
      const only = yield* run([
        Plugin.make("a", Effect.succeed({ data: () => Effect.succeed(Verdict.continueWith([h1])) }))
      ], (p) => p.data(transaction()))
      assert.strictEqual(only._tag, "Continue")
      assert.deepStrictEqual(Verdict.headersOf(only), [h1])
    }))

  it.effect("disconnect observers all run, even after one fails", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      yield* run([
        Plugin.make("a", Effect.succeed({ disconnect: () => Ref.update(seen, (s) => [...s, "a"]) })),
        Plugin.make("b", Effect.succeed({ disconnect: () => Effect.fail("boom") })),
        Plugin.make("c", Effect.succeed({ disconnect: () => Effect.die("bug") })),
        Plugin.make("d", Effect.succeed({ disconnect: () => Ref.update(seen, (s) => [...s, "d"]) }))
      ], (p) => p.disconnect(connection()))
      assert.deepStrictEqual(yield* Ref.get(seen), ["a", "d"])
    }))

  it.effect("Disconnect verdicts carry 421", () =>
    Effect.gen(function*() {
      const v = yield* run([Plugin.make("a", Effect.succeed({ connect: () => Effect.succeed(Verdict.disconnect("4.7.0", "Go away")) }))], (p) =>
        p.connect(connection()))
      assert.strictEqual(wire(v), "421 4.7.0 Go away\r\n")
    }))

  it.effect("a plugin's requirements are provided by a layer", () =>
    Effect.gen(function*() {
      class Blocklist extends Context.Service<Blocklist, { readonly has: (d: string) => boolean }>()("test/Blocklist") {
        static readonly layer = Layer.succeed(Blocklist, Blocklist.of({ has: (d) => d === "spam.test" }))
      }
      const plugin = Plugin.make("blocklist", Effect.gen(function*() {
        const list = yield* Blocklist
        return {
          mailFrom: (txn) =>
            Effect.succeed(txn.mailFrom !== null && list.has(txn.mailFrom.domain) ? Verdict.reject("5.7.1", "Sender domain blocked") : Verdict.next)
        }
      }))
      const v = yield* Effect.gen(function*() {
        const p = yield* Pipeline.Pipeline
        return yield* p.mailFrom(transaction({ mailFrom: { localPart: "x", domain: "spam.test" } }))
      }).pipe(Effect.provide(Pipeline.Pipeline.layer([plugin]).pipe(Layer.provide(Blocklist.layer))))
      assert.strictEqual(wire(v), "550 5.7.1 Sender domain blocked\r\n")
    }))

  it.effect("a plugin's resources are released when the pipeline closes", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const plugin = Plugin.make("res", Effect.gen(function*() {
        yield* Effect.acquireRelease(Ref.update(log, (l) => [...l, "open"]), () => Ref.update(log, (l) => [...l, "close"]))
        return {}
      }))
      yield* run([plugin], () => Ref.update(log, (l) => [...l, "use"]))
      assert.deepStrictEqual(yield* Ref.get(log), ["open", "use", "close"])
    }))

  it.effect("a failing build fails the layer with the plugin's error", () =>
    Effect.gen(function*() {
      const bad = Plugin.make("bad", Effect.fail("missing config" as const))
      const result = yield* Effect.result(run([bad], () => Effect.void))
      assert.strictEqual(result._tag, "Failure")
    }))

  it("rejects invalid plugin names", () => {
    assert.throws(() => Plugin.make("Bad Name", Effect.succeed({})))
  })

  it.effect("a hook name that is not a phase fails the build with a clear message (JavaScript, casts)", () =>
    Effect.gen(function*() {
      const hooks: object = { data: () => Effect.succeed(Verdict.next), rcpTo: () => Effect.succeed(Verdict.next) }
      const typo = Plugin.make("typo", Effect.succeed(hooks as Hooks.Hooks))
      const exit = yield* Effect.exit(run([typo], () => Effect.void))
      assert.isTrue(exit._tag === "Failure")
      assert.include(String(exit._tag === "Failure" ? Cause.squash(exit.cause) : ""), `plugin "typo": unknown hook "rcpTo"`)
    }))
})
