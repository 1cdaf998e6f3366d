/**
 * `DeliveredNotice`: after the queue phase, an `Action: delivered` notice for the recipients a mailbox store kept
 * that asked `NOTIFY=SUCCESS`; none for what another store took, for a null sender, or when nothing was stored; and
 * a queue that cannot take the notice does not fail the message.
 */
import { Pipeline } from "@cartero/core"
import { Dsn } from "@cartero/mime"
import { MailQueue, QueueError } from "@cartero/queue"
import { Address, Envelope, Verdict } from "@cartero/smtp"
import { TestSession, TestStore } from "@cartero/testing"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, References } from "effect"
import * as DeliveredNotice from "../src/DeliveredNotice.ts"

const local = (r: Envelope.Recipient) => r.address.domain === "local.test"

const rcpt = (text: string, notify?: ReadonlyArray<Envelope.Notify>, orcpt?: string): Envelope.Recipient => ({
  ...TestSession.recipient(text),
  ...(notify !== undefined ? { notify } : {}),
  ...(orcpt !== undefined ? { orcpt } : {})
})

const raw = "Subject: hello\r\nFrom: <sender@remote.test>\r\n\r\nthe body\r\n"

/**
 * Runs the queue phase of [mailbox store, relay store, DeliveredNotice] on a transaction, with the `MailQueue` of the
 * context (or `queueForPlugin` for the plugin only); returns the verdict and the messages the context's queue holds.
 */
const run = (
  recipients: ReadonlyArray<Envelope.Recipient>,
  mailFrom: Address.Address | null = Address.make("sender", "remote.test"),
  queueForPlugin?: MailQueue.Service
) =>
  Effect.gen(function*() {
    const mailbox = TestStore.make({ name: "mailbox", takes: local, mailbox: true })
    const relay = TestStore.make({ name: "relay" })
    const txn = {
      ...TestSession.transaction(TestSession.connection(), [], { mailFrom, params: { smtpUtf8: false, envid: "E-1" } }),
      recipients
    }
    const pipelineLayer = Pipeline.Pipeline.layer([mailbox.plugin, relay.plugin, DeliveredNotice.plugin({ hostname: "mx.local.test" })])
    const verdict = yield* Effect.gen(function*() {
      const pipeline = yield* Pipeline.Pipeline
      return yield* pipeline.queue(txn, TestSession.message("Received: by mx.local.test\r\n", raw))
    }).pipe(
      Effect.provide(queueForPlugin === undefined ? pipelineLayer : pipelineLayer.pipe(Layer.provide(Layer.succeed(MailQueue.MailQueue, queueForPlugin))))
    )
    const queue = yield* MailQueue.MailQueue
    const listed = yield* queue.list({})
    const notices = yield* Effect.forEach(listed.items, (m) =>
      Effect.all({ shown: queue.show(m.id), bytes: queue.bytes(m.id) }).pipe(Effect.map(({ bytes, shown }) => ({ envelope: shown.envelope, bytes }))))
    return { verdict, notices }
  })

describe("DeliveredNotice", () => {
  it.effect("mailbox recipients that asked NOTIFY=SUCCESS get one notice; relayed and other recipients none", () =>
    run([
      rcpt("bob@local.test", ["SUCCESS", "FAILURE"], "rfc822;Bob@local.test"),
      rcpt("carol@local.test", ["FAILURE"]),
      rcpt("dave@local.test"),
      rcpt("erin@far.test", ["SUCCESS"])
    ]).pipe(
      Effect.tap(({ notices, verdict }) => Effect.sync(() => {
        assert.strictEqual(verdict._tag, "Accept")
        assert.strictEqual(notices.length, 1)
        const [notice] = notices
        assert.isNull(notice?.envelope?.mailFrom)
        assert.deepStrictEqual(notice?.envelope?.recipients.map((r) => Address.format(r.address)), ["sender@remote.test"])
        const report = Dsn.read(notice?.bytes ?? "")
        assert.strictEqual(report?.reportingMta, "mx.local.test")
        assert.strictEqual(report?.originalEnvelopeId, "E-1")
        assert.deepStrictEqual(report?.recipients.map((r) => [r.finalRecipient, r.originalRecipient, r.action, r.status]), [
          ["bob@local.test", "Bob@local.test", "delivered", "2.0.0"]
        ])
        const text = Buffer.from(notice?.bytes ?? []).toString("latin1")
        assert.include(text, "Content-Type: text/rfc822-headers")
        assert.include(text, "Received: by mx.local.test\r\nSubject: hello")
        assert.notInclude(text, "the body")
      })),
      Effect.provide(MailQueue.MailQueue.layerStoreMemory())
    ))

  it.effect("nothing for a null sender", () =>
    run([rcpt("bob@local.test", ["SUCCESS"])], null).pipe(
      Effect.tap(({ notices }) => Effect.sync(() => assert.strictEqual(notices.length, 0))),
      Effect.provide(MailQueue.MailQueue.layerStoreMemory())
    ))

  it.effect("a queue that refuses the notice: the message is still delivered", () =>
    Effect.gen(function*() {
      const healthy = yield* MailQueue.MailQueue
      const broken = MailQueue.MailQueue.of({
        ...healthy,
        enqueue: () => Effect.fail(new QueueError.QueueUnavailable({ operation: "enqueue", cause: new Error("down") }))
      })
      const { notices, verdict } = yield* run([rcpt("bob@local.test", ["SUCCESS"])], Address.make("sender", "remote.test"), broken)
      assert.deepStrictEqual(verdict, Verdict.accept())
      assert.strictEqual(notices.length, 0)
    }).pipe(
      Effect.provide(MailQueue.MailQueue.layerStoreMemory()),
      Effect.provideService(References.MinimumLogLevel, "None")
    ))
})
