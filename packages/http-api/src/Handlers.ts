/**
 * The handlers of {@link Api}, as layers of `effect/http-api` groups. They need the `MailQueue` (queue
 * endpoints, queue gauges, queue events), the {@link Readiness} checks and `Mailboxes` (mailbox endpoints, mail
 * events; `MailboxHandlers.ts`); the HTTP server, the authorization middleware and
 * the metrics registry come from `ApiServer`.
 *
 * @since 0.1.0
 */
import { MailQueue, type QueueError, QueueViews } from "@cartero/queue"
import { Effect, Layer } from "effect"
import { HttpApiBuilder, OpenApi } from "effect/http-api"
import { PrometheusMetrics } from "effect/observability"
import { Api } from "./Api.ts"
import * as ApiError from "./ApiError.ts"
import * as MailboxHandlers from "./MailboxHandlers.ts"
import * as QueueBreakdown from "./QueueBreakdown.ts"
import * as QueueMetrics from "./QueueMetrics.ts"
import * as QueueSelection from "./QueueSelection.ts"
import * as Readiness from "./Readiness.ts"

const unavailable = (e: QueueError.QueueUnavailable) => {
  const inner = e.cause instanceof Error && e.cause.message !== "" ? `: ${e.cause.message}` : ""
  return new ApiError.QueueUnavailable({ message: `${e.message}${inner}` })
}

/** Store errors in the API's terms. */
const mapQueueErrors = <A, R>(
  effect: Effect.Effect<A, QueueError.QueueError | QueueError.MessageQuarantined, R>
) =>
  effect.pipe(
    Effect.catchTags({
      QueueUnavailable: (e) => Effect.fail(unavailable(e)),
      MessageNotFound: (e) => Effect.fail(new ApiError.MessageNotFound({ id: e.id })),
      MessageQuarantined: (e) => Effect.fail(new ApiError.MessageQuarantined({ id: e.id, reason: e.reason }))
    })
  )

/** One action on one message; returns the recipients it changed (for `delete`, those the message had). */
export const apply = (
  queue: MailQueue.Service,
  action: QueueViews.Action,
  id: string
): Effect.Effect<number, QueueError.QueueError | QueueError.MessageQuarantined> => {
  switch (action) {
    case "retry":
      return queue.retryNow(id)
    case "hold":
      return queue.hold(id)
    case "release":
      return queue.release(id)
    case "delete":
      // Counted first so the caller sees what went; `show` also proves the id exists.
      return Effect.flatMap(queue.show(id), (m) => Effect.as(queue.delete(id), m.recipients.length))
  }
}

/** `/healthz`. */
export const health = HttpApiBuilder.group(Api, "health", (handlers) =>
  handlers.handle("healthz", () => Effect.succeed({ status: "up" as const })))

/** `/readyz`, `/metrics`, `/api/openapi.json`. */
export const system = HttpApiBuilder.group(
  Api,
  "system",
  Effect.fn(function*(handlers) {
    const readiness = yield* Readiness.Readiness
    const queue = yield* MailQueue.MailQueue
    const description = OpenApi.fromApi(Api)
    return handlers
      .handle("readyz", () =>
        Effect.gen(function*() {
          const checks = yield* Readiness.run(readiness.checks)
          if (checks.every((c) => c.ok)) return { status: "ready" as const, checks }
          return yield* new ApiError.NotReady({ checks })
        }))
      .handle("metrics", () => QueueMetrics.refresh(queue).pipe(Effect.andThen(PrometheusMetrics.format())))
      .handle("openapi", () => Effect.succeed(description))
  })
)

/** `/api/queue/...`. */
export const queue = HttpApiBuilder.group(
  Api,
  "queue",
  Effect.fn(function*(handlers) {
    const q = yield* MailQueue.MailQueue
    return handlers
      .handle("list", ({ query }) =>
        Effect.gen(function*() {
          const selection = yield* QueueSelection.parse(query)
          const limit = yield* QueueSelection.limit(query.limit)
          const page = yield* QueueSelection.page(q, selection, { limit, cursor: query.cursor }).pipe(Effect.mapError(unavailable))
          return { items: page.items.map(QueueViews.summary), next: page.next ?? null }
        }))
      .handle("show", ({ params }) =>
        mapQueueErrors(q.show(params.id)).pipe(Effect.catchTag("MessageQuarantined", Effect.die), Effect.map(QueueViews.detail)))
      .handle("stats", () => q.stats.pipe(Effect.mapError(unavailable), Effect.map(QueueViews.stats)))
      .handle("breakdown", () => QueueBreakdown.compute(q).pipe(Effect.mapError(unavailable)))
      .handle("act", ({ params }) =>
        mapQueueErrors(apply(q, params.action, params.id)).pipe(
          Effect.map((recipients) => ({ id: params.id, action: params.action, recipients }))
        ))
      .handle("delete", ({ params }) =>
        mapQueueErrors(apply(q, "delete", params.id)).pipe(
          Effect.catchTag("MessageQuarantined", Effect.die),
          Effect.map((recipients) => ({ id: params.id, action: "delete" as const, recipients }))
        ))
      .handle("actMany", ({ params, query }) =>
        Effect.gen(function*() {
          if (!QueueSelection.isFiltered(query) && query.all !== "true") {
            return yield* new ApiError.InvalidQuery({
              parameter: "all",
              message: `no filter given: add one (state, domain, sender, recipient, olderThan), or all=true to ${params.action} every queued message`
            })
          }
          const selection = yield* QueueSelection.parse(query)
          const matching = yield* QueueSelection.all(q, selection).pipe(Effect.mapError(unavailable))
          const done: Array<QueueViews.ActionResult> = []
          const skipped: Array<{ readonly id: string; readonly reason: string }> = []
          for (const message of matching) {
            yield* apply(q, params.action, message.id).pipe(
              Effect.map((recipients) => void done.push({ id: message.id, action: params.action, recipients })),
              Effect.catchTags({
                // Gone since it was listed (delivered, deleted): nothing left to do.
                MessageNotFound: () => Effect.sync(() => void skipped.push({ id: message.id, reason: "no longer queued" })),
                MessageQuarantined: (e) => Effect.sync(() => void skipped.push({ id: message.id, reason: `quarantined: ${e.reason}` })),
                QueueUnavailable: (e) => Effect.fail(unavailable(e))
              })
            )
          }
          yield* Effect.logInfo("HTTP API: queue action on many messages").pipe(
            Effect.annotateLogs({ action: params.action, done: done.length, skipped: skipped.length })
          )
          return { done, skipped }
        }))
  })
)

/** Every group's handlers. */
export const layer = Layer.mergeAll(health, system, queue, MailboxHandlers.mailboxes, MailboxHandlers.events)
