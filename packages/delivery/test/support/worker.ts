import { Dns } from "@cartero/dns"
import { MailQueue } from "@cartero/queue"
import type { QueuedMessage, QueueStore } from "@cartero/queue"
import { Address, Envelope } from "@cartero/smtp"
import { FakeDns, SmtpSink } from "@cartero/testing"
import { Context, Duration, Effect, Layer, Logger, References, Schedule, type Scope } from "effect"
import { DeliveryConfig, type Settings } from "../../src/DeliveryConfig.ts"
import { DeliveryWorker } from "../../src/DeliveryWorker.ts"
import { OutboundPipeline } from "../../src/OutboundPipeline.ts"
import * as RetryPolicy from "../../src/RetryPolicy.ts"
import { Router } from "../../src/Router.ts"
import { SmtpClient } from "../../src/SmtpClient.ts"
import { clientOptions } from "./fixtures.ts"

/** Every test domain's MX points at the sink on 127.0.0.1 (the origin too, so DSNs arrive there). */
export const zones: FakeDns.Zones = {
  "dest.test": { MX: [{ priority: 10, exchange: "mx1.dest.test" }] },
  "mx1.dest.test": { A: ["127.0.0.1"] },
  "origin.test": { MX: [{ priority: 10, exchange: "mx.origin.test" }] },
  "mx.origin.test": { A: ["127.0.0.1"] }
}

export interface Options {
  readonly zones?: FakeDns.Zones
  readonly sink?: SmtpSink.Options
  readonly settings?: Partial<Settings>
  /** Default: retry after 200 ms, give up after an hour, no jitter. */
  readonly retry?: RetryPolicy.RetryPolicy
  readonly pipeline?: Layer.Layer<OutboundPipeline, never, MailQueue.MailQueue | DeliveryConfig>
  /** Run the worker fibers (default) or only the service. */
  readonly workers?: boolean
  /** The queue store (default: a memory store keeping finished messages for 10 minutes). */
  readonly store?: Layer.Layer<QueueStore.QueueStore, unknown>
  /** Capture the log lines (message and annotations, Info and above) here instead of printing warnings. */
  readonly logs?: Array<LogLine>
}

/** A captured log line. */
export interface LogLine {
  readonly message: string
  readonly annotations: Record<string, unknown>
}

const capture = (logs: Array<LogLine>) =>
  Layer.mergeAll(
    Logger.layer([Logger.make<unknown, void>((o) => {
      logs.push({
        message: String(Array.isArray(o.message) ? o.message[0] : o.message),
        annotations: { ...o.fiber.getRef(References.CurrentLogAnnotations) }
      })
    })]),
    Layer.succeed(References.MinimumLogLevel, "Info")
  )

/** FakeDns + SmtpSink + memory queue + client + router + worker, all for the enclosing scope. */
export const setup = Effect.fnUntraced(function*(options: Options = {}): Effect.fn.Return<{
  readonly dns: FakeDns.Service
  readonly sink: SmtpSink.Service
  readonly queue: MailQueue.Service
  readonly worker: DeliveryWorker["Service"]
}, unknown, Scope.Scope> {
  const dns = yield* FakeDns.make({ ...zones, ...options.zones })
  const sink = yield* SmtpSink.make(options.sink ?? {})
  const shared = Layer.mergeAll(
    options.store === undefined
      ? MailQueue.MailQueue.layerStoreMemory({ retainFinishedMillis: 600_000 })
      : MailQueue.MailQueue.layer.pipe(Layer.provideMerge(options.store)),
    DeliveryConfig.layer({
      hostname: "cartero.test",
      port: sink.port,
      workers: 2,
      shutdownTimeout: Duration.seconds(2),
      retry: options.retry ?? RetryPolicy.make(["200 millis"], "1 hour", 0),
      ...options.settings
    })
  )
  const base = Layer.mergeAll(
    SmtpClient.layer(clientOptions()),
    Dns.Dns.layer({ nameservers: [dns.nameserver], timeout: "500 millis", retry: Schedule.recurs(0), cacheSize: 0 }),
    options.pipeline ?? OutboundPipeline.layerEmpty,
    // Per-attempt INFO lines are the product, but noise in test output; warnings and errors still show.
    options.logs === undefined ? Layer.succeed(References.MinimumLogLevel, "Warn") : capture(options.logs)
  ).pipe(Layer.provideMerge(shared))
  const workerLayer = options.workers === false ? DeliveryWorker.layerNoWorkers : DeliveryWorker.layer
  const context = yield* Layer.build(workerLayer.pipe(Layer.provideMerge(Router.layer), Layer.provideMerge(base)))
  return { dns, sink, queue: Context.get(context, MailQueue.MailQueue), worker: Context.get(context, DeliveryWorker) }
})

export const envelope = (sender: string | null, recipients: ReadonlyArray<string>): Envelope.Envelope => {
  const addr = (s: string) => {
    const [local = "", domain = ""] = s.split("@")
    return Address.make(local, domain)
  }
  return Envelope.make(sender === null ? null : addr(sender), recipients.map((r) => ({ address: addr(r) })), { smtpUtf8: false })
}

export const body = (subject = "test"): Uint8Array =>
  Buffer.from(`From: <sender@origin.test>\r\nTo: <bob@dest.test>\r\nSubject: ${subject}\r\nMessage-ID: <m1@origin.test>\r\n\r\nHello Bob.\r\n`)

/** Polls `check` every 25 ms until it returns a value, for at most `timeout`. */
export const eventually = <A, E, R>(check: Effect.Effect<A | undefined, E, R>, timeout: Duration.Input = "8 seconds") =>
  check.pipe(
    Effect.flatMap((a) => (a === undefined ? Effect.fail("not yet" as const) : Effect.succeed(a))),
    Effect.retry(Schedule.spaced("25 millis")),
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.die(new Error(`condition not reached within ${Duration.format(Duration.fromInputUnsafe(timeout))}`)) })
  )

/** The recipient states of a message once none is waiting or in flight any more. */
export const settled = (queue: MailQueue.Service, id: string, timeout?: Duration.Input) =>
  eventually(
    queue.show(id).pipe(Effect.map((m: QueuedMessage.QueuedMessage) =>
      m.recipients.every((r) => r.state === "delivered" || r.state === "failed") ? m : undefined
    )),
    timeout
  )

/** The messages of the sink sent from `<>` (DSNs). */
export const dsns = (sink: SmtpSink.Service) =>
  sink.messages.pipe(Effect.map((ms) => ms.filter((m) => m.mailFrom === "")))
