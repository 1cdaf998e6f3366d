import { assert, describe, it } from "@effect/vitest"
import { type Envelope, SmtpReply, Verdict } from "@cartero/smtp"
import { Effect, Fiber, Ref } from "effect"
import { TestClock } from "effect/testing"
import type { Message } from "../src/Message.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Plugin from "../src/Plugin.ts"
import * as Store from "../src/Store.ts"
import { rcpt, transaction } from "./helpers.ts"

const message: Message = { headers: { get: () => undefined, getAll: () => [] }, prepend: "", data: { _tag: "InMemory", bytes: new Uint8Array() } }

const wire = (v: Verdict.Verdict): string =>
  v._tag === "Continue" ? "continue" : v.reply === undefined ? v._tag : SmtpReply.format(v.reply)

type Log = Ref.Ref<ReadonlyArray<string>>

interface StoreOptions {
  readonly mailbox?: boolean
  readonly takes?: (recipient: Envelope.Recipient) => boolean
  readonly write?: (recipients: ReadonlyArray<Envelope.Recipient>) => Effect.Effect<Store.WriteVerdict, unknown>
  readonly timeout?: string
}

/** A store that records every step of the protocol in `log` as `<name>:<step>:<recipients>`. */
const store = (log: Log, name: string, options: StoreOptions = {}) =>
  Plugin.make(name, Effect.succeed({
    queue: Store.make({
      takes: (_txn, recipient) => Effect.succeed(options.takes?.(recipient) ?? true),
      prepare: (_txn, recipients) => Effect.succeed(recipients.map((r) => r.address.localPart).join(",")),
      write: (names, _message) =>
        Ref.update(log, (l) => [...l, `${name}:write:${names}`]).pipe(
          Effect.andThen(options.write?.([]) ?? Effect.succeed(Verdict.accept({ text: `stored by ${name}` })))
        ),
      undo: (names) => Ref.update(log, (l) => [...l, `${name}:undo:${names}`]),
      ...(options.mailbox !== undefined ? { mailbox: options.mailbox } : {})
    })
  }), options.timeout === undefined ? undefined : { timeout: options.timeout as "1 second" })

const queue = (plugins: ReadonlyArray<Plugin.Plugin<unknown>>, recipients = [rcpt("local", "example.test"), rcpt("far", "other.test")]) =>
  Effect.gen(function*() {
    const pipeline = yield* Pipeline.Pipeline
    return yield* pipeline.queue(transaction({ recipients }), message)
  }).pipe(Effect.provide(Pipeline.Pipeline.layer(plugins)))

const isLocal = (r: Envelope.Recipient) => r.address.domain === "example.test"

describe("Store protocol (the queue phase)", () => {
  it.effect("each store gets the recipients it takes of those still unstored; the last writer's reply is sent", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const v = yield* queue([store(log, "maildir", { takes: isLocal }), store(log, "mailqueue")])
      assert.strictEqual(wire(v), "250 stored by mailqueue\r\n")
      assert.deepStrictEqual(yield* Ref.get(log), ["maildir:write:local", "mailqueue:write:far"])
    }))

  it.effect("a store that takes nobody is not asked to prepare or write", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const v = yield* queue([store(log, "none", { takes: () => false }), store(log, "all")])
      assert.strictEqual(wire(v), "250 stored by all\r\n")
      assert.deepStrictEqual(yield* Ref.get(log), ["all:write:local,far"])
    }))

  it.effect("a failing second store rolls back the first, and the client gets 451 4.3.0", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const v = yield* queue([
        store(log, "maildir", { takes: isLocal }),
        store(log, "mailqueue", { write: () => Effect.fail("redis down") })
      ])
      assert.strictEqual(wire(v), "451 4.3.0 Temporary local problem, please try again later\r\n")
      // Newest first: the store that failed half-way is undone too (its undo must be idempotent).
      assert.deepStrictEqual(yield* Ref.get(log), [
        "maildir:write:local",
        "mailqueue:write:far",
        "mailqueue:undo:far",
        "maildir:undo:local"
      ])
    }))

  it.effect("a store that refuses answers its own reply, after the rollback", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const v = yield* queue([
        store(log, "maildir", { takes: isLocal }),
        store(log, "mailqueue", { write: () => Effect.succeed(Verdict.defer("4.3.0", "Queue temporarily unavailable, try again later")) })
      ])
      assert.strictEqual(wire(v), "451 4.3.0 Queue temporarily unavailable, try again later\r\n")
      assert.deepStrictEqual((yield* Ref.get(log)).slice(2), ["mailqueue:undo:far", "maildir:undo:local"])
    }))

  it.effect("a recipient no store takes: everything stored is rolled back, 451 4.3.0", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const v = yield* queue([store(log, "maildir", { takes: isLocal })])
      assert.strictEqual(wire(v), "451 4.3.0 Message could not be stored, please try again later\r\n")
      assert.deepStrictEqual(yield* Ref.get(log), ["maildir:write:local", "maildir:undo:local"])
    }))

  it.effect("no store at all: 451 4.3.0", () =>
    Effect.gen(function*() {
      const v = yield* queue([Plugin.make("nothing", Effect.succeed({}))])
      assert.strictEqual(wire(v), "451 4.3.0 Message could not be stored, please try again later\r\n")
    }))

  it.effect("a write past the plugin's timeout is undone (TestClock)", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const fiber = yield* Effect.forkChild(queue([
        store(log, "slow", { timeout: "2 seconds", write: () => Effect.sleep("1 minute").pipe(Effect.as(Verdict.accept())) })
      ]))
      yield* TestClock.adjust("2 seconds")
      const v = yield* Fiber.join(fiber)
      assert.strictEqual(wire(v), "451 4.3.0 Temporary local problem, please try again later\r\n")
      assert.deepStrictEqual(yield* Ref.get(log), ["slow:write:local,far", "slow:undo:local,far"])
    }))

  it.effect("an interrupted queue phase (the client left, shutdown) is rolled back", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const fiber = yield* Effect.forkChild(queue([
        store(log, "maildir", { takes: isLocal }),
        store(log, "stuck", { write: () => Effect.never })
      ]))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* Ref.get(log), ["maildir:write:local", "stuck:write:far", "stuck:undo:far", "maildir:undo:local"])
    }))

  it.effect("a failing undo is logged and the other undos still run", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const brokenUndo = Plugin.make("broken-undo", Effect.succeed({
        queue: Store.make({
          takes: (_txn, r) => Effect.succeed(r.address.domain === "other.test"),
          prepare: () => Effect.void,
          write: () => Effect.succeed(Verdict.accept()),
          undo: () => Effect.fail("disk gone")
        })
      }))
      const v = yield* queue([store(log, "first", { takes: isLocal }), brokenUndo, store(log, "last", { write: () => Effect.fail("x") })], [
        rcpt("a", "example.test"),
        rcpt("b", "other.test"),
        rcpt("c", "third.test")
      ])
      assert.strictEqual(v._tag, "Defer")
      assert.deepStrictEqual(yield* Ref.get(log), ["first:write:a", "last:write:c", "last:undo:c", "first:undo:a"])
    }))

  it.effect("the stored observers run once everything is stored, told which store kept whom; never after a rollback", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const seen: Array<ReadonlyArray<Store.Stored>> = []
      const observer = Plugin.make("observer", Effect.succeed({
        stored: (_txn: unknown, _message: unknown, stored: ReadonlyArray<Store.Stored>) => Effect.sync(() => void seen.push(stored))
      }))
      const failing = Plugin.make("failing-observer", Effect.succeed({ stored: () => Effect.fail("boom") }))
      const v = yield* queue([store(log, "maildir", { takes: isLocal, mailbox: true }), store(log, "mailqueue"), failing, observer])
      assert.strictEqual(wire(v), "250 stored by mailqueue\r\n", "an observer's failure changes nothing")
      assert.deepStrictEqual(seen.map((s) => s.map((p) => [p.plugin, p.mailbox, p.recipients.map((r) => r.address.localPart)])), [[
        ["maildir", true, ["local"]],
        ["mailqueue", false, ["far"]]
      ]])
      yield* queue([store(log, "maildir", { takes: isLocal, mailbox: true }), store(log, "mailqueue", { write: () => Effect.fail("down") }), observer])
      assert.strictEqual(seen.length, 1, "not told of a rolled-back store")
    }))
})
