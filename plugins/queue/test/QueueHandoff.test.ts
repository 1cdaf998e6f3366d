import { type Hooks, Pipeline, Plugin } from "@cartero/core"
import { MailQueue, QueueError, QueueStore } from "@cartero/queue"
import { SqliteQueueStore } from "@cartero/queue-sqlite"
import { SmtpServer } from "@cartero/server"
import { Verdict } from "@cartero/smtp"
import { TestSession, TestStore, Transcript } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, References, Stream } from "effect"
import { QueueHandoff } from "../src/index.ts"

const acceptAll = Plugin.make("accept-all", Effect.succeed<Hooks.Hooks>({ rcptTo: () => Effect.succeed(Verdict.accept()) }))

/** An earlier store (like Maildir) that takes recipients of local.test. */
const localStore = () => TestStore.make({ name: "local-store", takes: (r) => r.address.domain === "local.test" })

/** A queue store whose writes fail, as when Redis is down. */
const brokenStore = Layer.effect(
  QueueStore.QueueStore,
  Effect.gen(function*() {
    const real = yield* QueueStore.QueueStore
    return QueueStore.QueueStore.of({
      ...real,
      enqueue: () => Effect.fail(new QueueError.QueueUnavailable({ operation: "enqueue", cause: new Error("down") }))
    })
  })
)

const withServer = <A, E, SE>(
  plugins: ReadonlyArray<Plugin.Plugin<never, MailQueue.MailQueue>>,
  store: Layer.Layer<MailQueue.MailQueue | QueueStore.QueueStore, SE>,
  f: (port: number, queue: MailQueue.Service) => Effect.Effect<A, E>
) =>
  Effect.gen(function*() {
    const server = yield* SmtpServer.SmtpServer
    const queue = yield* MailQueue.MailQueue
    const mx = server.address("mx")
    if (mx === undefined) return yield* Effect.die(new Error("no mx listener"))
    return yield* f(mx.port, queue)
  }).pipe(
    Effect.provide(SmtpServer.SmtpServer.layerTest().pipe(Layer.provideMerge(Pipeline.Pipeline.layer(plugins)), Layer.provideMerge(store))),
    Effect.provideService(References.MinimumLogLevel, "None")
  )

const sqlite = () => MailQueue.MailQueue.layer.pipe(Layer.provideMerge(SqliteQueueStore.SqliteQueueStore.layerTemp()))

const send = (port: number, rcpts: ReadonlyArray<string>, expectFinal: string) =>
  Transcript.run({ host: "127.0.0.1", port }, [
    "<~ 220",
    "-> EHLO client.test",
    "<~ 250",
    "-> MAIL FROM:<alice@example.org>",
    "<~ 250",
    ...rcpts.flatMap((r) => [`-> RCPT TO:<${r}>`, "<~ 250"]),
    "-> DATA",
    "<~ 354",
    "-> Subject: hello",
    "->",
    "-> Hi Bob.",
    "-> .",
    expectFinal,
    "-> QUIT",
    "<~ 221"
  ].join("\n"))

const decoder = new TextDecoder()

describe("QueueHandoff", () => {
  it.live("queues the message with its Received header, only after the store confirmed", () =>
    withServer([acceptAll, QueueHandoff.plugin], sqlite(), (port, queue) =>
      Effect.gen(function*() {
        yield* send(port, ["bob@remote.test", "carol@remote.test"], "<~ 250 2.6.0 Message queued as ")
        const page = yield* queue.list()
        assert.strictEqual(page.items.length, 1)
        const item = page.items[0]
        if (item === undefined) return
        const shown = yield* queue.show(item.id)
        assert.deepStrictEqual(shown.envelope?.recipients.map((r) => r.address.localPart), ["bob", "carol"])
        assert.deepStrictEqual(shown.envelope?.mailFrom, { localPart: "alice", domain: "example.org" })
        const chunks = yield* Stream.runCollect(queue.body(item.id))
        const body = decoder.decode(Buffer.concat(Array.from(chunks)))
        assert.match(body, /^Received: from client\.test /)
        assert.include(body, "\r\nSubject: hello\r\n\r\nHi Bob.\r\n")
      })))

  it.live("mixed recipients: the earlier store keeps the local ones, the queue only the rest", () =>
    Effect.gen(function*() {
      const local = localStore()
      yield* withServer([acceptAll, local.plugin, QueueHandoff.plugin], sqlite(), (port, queue) =>
        Effect.gen(function*() {
          yield* send(port, ["ann@local.test", "bob@remote.test"], "<~ 250 2.6.0 Message queued as ")
          const page = yield* queue.list()
          const item = page.items[0]
          assert.strictEqual(page.items.length, 1)
          if (item === undefined) return
          const shown = yield* queue.show(item.id)
          assert.deepStrictEqual(shown.envelope?.recipients.map((r) => r.address.localPart), ["bob"])
          assert.deepStrictEqual(local.stored.flatMap((m) => m.recipients.map((r) => r.address.localPart)), ["ann"])
        }))
    }))

  it.live("all recipients taken earlier: the queue is not touched", () =>
    Effect.gen(function*() {
      const local = localStore()
      yield* withServer([acceptAll, local.plugin, QueueHandoff.plugin], sqlite(), (port, queue) =>
        Effect.gen(function*() {
          yield* send(port, ["ann@local.test"], "<~ 250")
          assert.strictEqual((yield* queue.list()).items.length, 0)
          assert.strictEqual(local.stored.length, 1)
        }))
    }))

  it.live("store down: 451 4.3.0, and the earlier store's copies are rolled back", () =>
    Effect.gen(function*() {
      const local = localStore()
      const broken = MailQueue.MailQueue.layer.pipe(Layer.provideMerge(brokenStore.pipe(Layer.provideMerge(SqliteQueueStore.SqliteQueueStore.layerTemp()))))
      yield* withServer([acceptAll, local.plugin, QueueHandoff.plugin], broken, (port) =>
        send(port, ["ann@local.test", "bob@remote.test"], "<- 451 4.3.0 Queue temporarily unavailable, try again later"))
      assert.strictEqual(local.stored.length, 0)
      assert.strictEqual(local.undone.length, 1)
    }))

  it.live("undo deletes the queued message, and is a no-op when nothing was written", () =>
    Effect.gen(function*() {
      const queue = yield* MailQueue.MailQueue
      const hooks = yield* QueueHandoff.plugin.build
      const store = hooks.queue
      if (store === undefined) return assert.fail("no queue hook")
      const txn = TestSession.transaction(TestSession.connection(), ["bob@remote.test"])
      const written = yield* store.begin(txn, txn.recipients)
      const verdict = yield* written.write(TestSession.message("", "Subject: x\r\n\r\nbody\r\n"))
      assert.strictEqual(verdict._tag, "Accept")
      assert.strictEqual((yield* queue.list()).items.length, 1)
      yield* written.undo
      assert.strictEqual((yield* queue.list()).items.length, 0)
      const never = yield* store.begin(txn, txn.recipients)
      yield* never.undo
      yield* written.undo
    }).pipe(Effect.scoped, Effect.provide(sqlite())))
})
