import { assert, describe, it } from "@effect/vitest"
import { Verdict } from "@cartero/smtp"
import { Effect, Ref } from "effect"
import * as Handoff from "../src/Handoff.ts"
import * as Pipeline from "../src/Pipeline.ts"
import * as Plugin from "../src/Plugin.ts"
import type { Transaction } from "../src/Session.ts"
import { rcpt, transaction } from "./helpers.ts"

const message = { headers: { get: () => undefined, getAll: () => [] }, prepend: "", raw: new Uint8Array() }

/** A store that takes recipients of one domain, records what it keeps, and can be told to fail. */
const store = (name: string, domain: string, kept: Ref.Ref<ReadonlyArray<string>>, fail = false) =>
  Plugin.make(name, Effect.succeed({
    queue: (txn: Transaction) =>
      Effect.gen(function*() {
        if (fail) return yield* Effect.fail(`${name} unavailable`)
        const mine = (yield* Handoff.unhandled(txn)).filter((r) => r.recipient.address.domain === domain)
        if (mine.length === 0) return Verdict.next
        const ids = mine.map((r) => `${name}:${r.recipient.address.localPart}`)
        yield* Ref.update(kept, (k) => [...k, ...ids])
        yield* Handoff.onRollback(txn, Ref.update(kept, (k) => k.filter((x) => !ids.includes(x))))
        yield* Handoff.markHandled(txn, mine.map((r) => r.index))
        return (yield* Handoff.allHandled(txn)) ? Verdict.accept({ text: `stored by ${name}` }) : Verdict.next
      })
  }))

const runQueue = (plugins: ReadonlyArray<Plugin.Plugin<unknown>>, txn: Transaction) =>
  Effect.gen(function*() {
    const p = yield* Pipeline.Pipeline
    return yield* p.queue(txn, message)
  }).pipe(Effect.provide(Pipeline.layer(plugins)))

const mixed = () => transaction({ recipients: [rcpt("a", "local.test"), rcpt("b", "remote.test"), rcpt("c", "local.test")] })

describe("Handoff", () => {
  it.effect("two stores share a transaction; the last one accepts", () =>
    Effect.gen(function*() {
      const kept = yield* Ref.make<ReadonlyArray<string>>([])
      const v = yield* runQueue([store("maildir", "local.test", kept), store("queue", "remote.test", kept)], mixed())
      assert.strictEqual(v._tag, "Accept")
      assert.deepStrictEqual(yield* Ref.get(kept), ["maildir:a", "maildir:c", "queue:b"])
    }))

  it.effect("a later store failing rolls back the earlier one and answers 451", () =>
    Effect.gen(function*() {
      const kept = yield* Ref.make<ReadonlyArray<string>>([])
      const v = yield* runQueue([store("maildir", "local.test", kept), store("queue", "remote.test", kept, true)], mixed())
      assert.strictEqual(v._tag, "Defer")
      assert.deepStrictEqual(yield* Ref.get(kept), [])
    }))

  it.effect("recipients nobody takes roll back what was kept", () =>
    Effect.gen(function*() {
      const kept = yield* Ref.make<ReadonlyArray<string>>([])
      const v = yield* runQueue([store("maildir", "local.test", kept)], mixed())
      assert.strictEqual(v._tag, "Defer")
      assert.deepStrictEqual(yield* Ref.get(kept), [])
    }))

  it.effect("unhandled keeps indexes stable and allHandled tracks them", () =>
    Effect.gen(function*() {
      const txn = mixed()
      yield* Handoff.markHandled(txn, [1])
      assert.deepStrictEqual((yield* Handoff.unhandled(txn)).map((r) => r.index), [0, 2])
      assert.isFalse(yield* Handoff.allHandled(txn))
      yield* Handoff.markHandled(txn, [0, 2])
      assert.isTrue(yield* Handoff.allHandled(txn))
    }))

  it.effect("a failing rollback is logged and the others still run", () =>
    Effect.gen(function*() {
      const txn = mixed()
      const ran = yield* Ref.make<ReadonlyArray<string>>([])
      yield* Handoff.onRollback(txn, Ref.update(ran, (r) => [...r, "first"]))
      yield* Handoff.onRollback(txn, Effect.fail("disk gone"))
      yield* Handoff.onRollback(txn, Ref.update(ran, (r) => [...r, "third"]))
      yield* Handoff.rollback(txn)
      assert.deepStrictEqual(yield* Ref.get(ran), ["third", "first"])
    }))
})
