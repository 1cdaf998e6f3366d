/**
 * The live events of `GET /api/events`, as a server-sent event stream (`text/event-stream`):
 *
 * - `event: mail` / `event: mail-removed`, `data: {"mailbox":"bob@localhost","id":"…"}`: from the `Mailboxes`
 *   change watcher, which polls the Maildirs, so mail written by any process is seen;
 * - `event: queue`, `data: <the /api/queue/stats JSON>`: the stats, read at most once per `queueEvery` and sent
 *   when they differ from the last ones sent (the first read is always sent);
 * - a `: ping` comment every `ping`, so proxies and the browser keep the connection open.
 *
 * `cartero_http_event_streams` (gauge) counts the streams open. The stream never ends by itself: it stops when the client goes away (the server interrupts the request) or when
 * `stop` completes (the server is shutting down; a long-lived response must not hold the graceful shutdown).
 *
 * @since 0.1.0
 */
import type { Mailboxes } from "@cartero/mailbox"
import { type MailQueue, QueueViews } from "@cartero/queue"
import { Context, Deferred, Duration, Effect, Layer, Metric, Stream } from "effect"

/**
 * Fired when the server starts shutting down, before it waits for open responses: event streams end on it, so
 * they never hold the graceful shutdown. `ApiServer.layer` provides it and fires it first thing on release.
 */
export class ShutdownSignal extends Context.Service<ShutdownSignal, {
  /** Completes once the server is shutting down. */
  readonly await: Effect.Effect<void>
  readonly fire: Effect.Effect<void>
}>()("@cartero/http-api/ShutdownSignal") {
  static readonly layer = Layer.effect(
    ShutdownSignal,
    Effect.map(Deferred.make<void>(), (d) => ShutdownSignal.of({ await: Deferred.await(d), fire: Effect.asVoid(Deferred.succeed(d, undefined)) }))
  )}

/** Fires the {@link ShutdownSignal} when this layer is released (merge it above the server). */
export const fireOnRelease = Layer.effectDiscard(Effect.gen(function*() {
  const signal = yield* ShutdownSignal
  yield* Effect.addFinalizer(() => signal.fire)
}))

/** Options of {@link stream}. */
export interface Options {
  readonly ping: Duration.Input
  readonly queueEvery: Duration.Input
}

export const defaults: Options = { ping: Duration.seconds(15), queueEvery: Duration.seconds(1) }

const streamsOpen = Metric.gauge("cartero_http_event_streams", { description: "server-sent event streams open (/api/events)" })
let open = 0
const track = (delta: 1 | -1) =>
  Effect.suspend(() => {
    open += delta
    return Metric.update(streamsOpen, open)
  })

/** One event in the wire format (`data` is one line of JSON, so it needs no splitting). */
export const format = (event: string, data: string): string => `event: ${event}\ndata: ${data}\n\n`

/** The event stream as text; ends when `stop` completes. */
export const stream = (
  mailboxes: Mailboxes.Service,
  queue: MailQueue.Service,
  stop: Effect.Effect<void>,
  options: Options = defaults
): Stream.Stream<string> => {
  const mail = mailboxes.changes.pipe(Stream.map((c) => format(c._tag, JSON.stringify({ mailbox: c.mailbox, id: c.id }))))
  const stats = Stream.tick(options.queueEvery).pipe(
    Stream.mapEffect(() => Effect.result(Effect.map(queue.stats, (s) => JSON.stringify(QueueViews.stats(s))))),
    Stream.filterMap((r) => r), // an unreachable store skips the tick
    Stream.changes,
    Stream.map((json) => format("queue", json))
  )
  const pings = Stream.tick(options.ping).pipe(Stream.drop(1), Stream.map(() => ": ping\n\n"))
  // `retry` tells the browser how soon to reconnect after a drop.
  return Stream.make("retry: 3000\n\n").pipe(
    Stream.concat(Stream.mergeAll([mail, stats, pings], { concurrency: "unbounded" })),
    Stream.interruptWhen(stop),
    Stream.onStart(track(1)),
    Stream.ensuring(track(-1))
  )
}
