/**
 * The operator's HTTP API, as an `effect/http-api` definition (no implementation here: the handlers are in
 * `Handlers.ts`, so a client can be derived from this module alone).
 *
 * | endpoint | what |
 * |---|---|
 * | `GET /healthz` | the process is up (never needs credentials) |
 * | `GET /readyz` | listeners bound, queue store reachable: 200, or 503 naming the failed checks |
 * | `GET /metrics` | Prometheus text format |
 * | `GET /api/openapi.json` | this API's OpenAPI description, generated from these schemas |
 * | `GET /api/queue/messages` | list, filtered (`state`, `domain`, `sender`, `recipient`, `olderThan`), paged (`limit`, `cursor`) |
 * | `GET /api/queue/messages/:id` | one message with every recipient's state |
 * | `GET /api/queue/stats` | recipients per state, messages, oldest |
 * | `GET /api/queue/breakdown` | recipients per domain and state, deferral reasons (the dashboard's view) |
 * | `POST /api/queue/messages/:id/{retry,hold,release}` | act on one message |
 * | `DELETE /api/queue/messages/:id` | delete one message |
 * | `POST /api/queue/{retry,hold,release,delete}` | act on every message matching the filter (query); no filter needs `all=true` |
 * | `GET /api/mailboxes` | local mailboxes (Maildirs) with message and unread counts |
 * | `GET /api/mailboxes/:mailbox/messages` | newest first, `search`, paged (`limit`, `cursor`) |
 * | `GET /api/mailboxes/:mailbox/messages/:id` | one message: headers, text, sanitised HTML, parts |
 * | `GET /api/mailboxes/:mailbox/messages/:id/raw` | the stored file (`message/rfc822`) |
 * | `GET /api/mailboxes/:mailbox/messages/:id/parts/:index` | one decoded part, never runnable in a browser |
 * | `POST /api/mailboxes/:mailbox/messages/:id/{seen,unseen}` | set or clear the seen flag |
 * | `DELETE /api/mailboxes/:mailbox/messages/:id` | delete one message |
 * | `GET /api/events` | server-sent events: `mail`, `mail-removed`, `queue` |
 *
 * Every endpoint but `/healthz` goes through the {@link Authorization} middleware (HTTP basic auth against the
 * users file when the server is bound beyond loopback, see `HttpConfig`).
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "effect/http-api"
import * as ApiError from "./ApiError.ts"
import { Authorization } from "./Authorization.ts"
import * as MailboxViews from "./MailboxViews.ts"
import { QueueBreakdown } from "./QueueBreakdown.ts"
import { QueueViews, RecipientState } from "@cartero/queue"

/** The filter of a listing or of an action on many messages; every given criterion must hold. */
export const FilterQuery = {
  /** At least one recipient is in this state. */
  state: Schema.optional(RecipientState.RecipientState),
  /** At least one recipient at this domain (case-insensitive). */
  domain: Schema.optional(Schema.String),
  /** The sender contains this text (case-insensitive); `<>` matches the null sender. */
  sender: Schema.optional(Schema.String),
  /** At least one recipient address contains this text (case-insensitive). */
  recipient: Schema.optional(Schema.String),
  /** Arrived at least this long ago: `90s`, `30m`, `2h`, `3d` (a bare number is seconds). */
  olderThan: Schema.optional(Schema.String)
}

const id = { id: Schema.String }

/** `/healthz`: outside the authorization middleware. */
export class HealthGroup extends HttpApiGroup.make("health", { topLevel: true }).add(
  HttpApiEndpoint.get("healthz", "/healthz", { success: Schema.Struct({ status: Schema.Literal("up") }) })
) {}

/** Readiness, metrics and the API description. */
export class SystemGroup extends HttpApiGroup.make("system", { topLevel: true })
  .add(
    HttpApiEndpoint.get("readyz", "/readyz", {
      success: Schema.Struct({ status: Schema.Literal("ready"), checks: Schema.Array(ApiError.Check) }),
      error: ApiError.NotReady
    }),
    HttpApiEndpoint.get("metrics", "/metrics", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/plain; version=0.0.4; charset=utf-8" }))
    }),
    HttpApiEndpoint.get("openapi", "/api/openapi.json", { success: Schema.Unknown })
  )
  .middleware(Authorization)
{}

/** The mail queue. */
export class QueueGroup extends HttpApiGroup.make("queue")
  .add(
    HttpApiEndpoint.get("list", "/messages", {
      query: {
        ...FilterQuery,
        /** Messages per page, 1-1000 (default 50). */
        limit: Schema.optional(Schema.String),
        /** The `next` of the previous page. */
        cursor: Schema.optional(Schema.String)
      },
      success: QueueViews.MessagePage,
      error: [ApiError.QueueUnavailable, ApiError.InvalidQuery]
    }),
    HttpApiEndpoint.get("show", "/messages/:id", {
      params: id,
      success: QueueViews.MessageDetail,
      error: [ApiError.MessageNotFound, ApiError.QueueUnavailable]
    }),
    HttpApiEndpoint.get("stats", "/stats", {
      success: QueueViews.QueueStats,
      error: ApiError.QueueUnavailable
    }),
    HttpApiEndpoint.get("breakdown", "/breakdown", {
      success: QueueBreakdown,
      error: ApiError.QueueUnavailable
    }),
    HttpApiEndpoint.post("act", "/messages/:id/:action", {
      params: { id: Schema.String, action: Schema.Literals(["retry", "hold", "release"]) },
      success: QueueViews.ActionResult,
      error: [ApiError.MessageNotFound, ApiError.MessageQuarantined, ApiError.QueueUnavailable]
    }),
    HttpApiEndpoint.delete("delete", "/messages/:id", {
      params: id,
      success: QueueViews.ActionResult,
      error: [ApiError.MessageNotFound, ApiError.QueueUnavailable]
    }),
    HttpApiEndpoint.post("actMany", "/:action", {
      params: { action: QueueViews.Action },
      query: {
        ...FilterQuery,
        /** `true` to act on every message when no filter is given (refused otherwise, so an empty filter never means "all" by accident). */
        all: Schema.optional(Schema.Literal("true"))
      },
      success: QueueViews.BulkResult,
      error: [ApiError.QueueUnavailable, ApiError.InvalidQuery]
    })
  )
  .middleware(Authorization)
  .prefix("/api/queue")
  .annotateMerge(OpenApi.annotations({ title: "Queue", description: "Inspect and steer the mail queue" }))
{}

const message = { mailbox: Schema.String, id: Schema.String }
// One list for every mailbox endpoint: what each can really answer is in the README's table.
const mailboxErrors = [ApiError.MailboxNotFound, ApiError.MailboxMessageNotFound, ApiError.MailboxPartNotFound, ApiError.InvalidQuery, ApiError.MailboxUnavailable]

/** Local mailboxes: the Maildirs of the maildir plugin. */
export class MailboxGroup extends HttpApiGroup.make("mailboxes")
  .add(
    HttpApiEndpoint.get("list", "/mailboxes", {
      success: MailboxViews.MailboxList,
      error: mailboxErrors
    }),
    HttpApiEndpoint.get("messages", "/mailboxes/:mailbox/messages", {
      params: { mailbox: Schema.String },
      query: {
        /** Words match subject, from or to; terms `from:x`, `to:x`, `subject:x`, `before:YYYY-MM-DD`, `after:YYYY-MM-DD`. */
        search: Schema.optional(Schema.String),
        /** Messages per page, 1-500 (default 50). */
        limit: Schema.optional(Schema.String),
        /** The `next` of the previous page. */
        cursor: Schema.optional(Schema.String)
      },
      success: MailboxViews.MessagePage,
      error: mailboxErrors
    }),
    HttpApiEndpoint.get("message", "/mailboxes/:mailbox/messages/:id", {
      params: message,
      success: MailboxViews.MessageView,
      error: mailboxErrors
    }),
    HttpApiEndpoint.get("raw", "/mailboxes/:mailbox/messages/:id/raw", {
      params: message,
      success: Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "message/rfc822" })),
      error: mailboxErrors
    }),
    HttpApiEndpoint.get("part", "/mailboxes/:mailbox/messages/:id/parts/:index", {
      params: { ...message, index: Schema.String },
      success: Schema.Uint8Array.pipe(HttpApiSchema.asUint8Array({ contentType: "application/octet-stream" })),
      error: mailboxErrors
    }),
    HttpApiEndpoint.post("flag", "/mailboxes/:mailbox/messages/:id/:flag", {
      params: { ...message, flag: Schema.Literals(["seen", "unseen"]) },
      success: MailboxViews.SeenResult,
      error: mailboxErrors
    }),
    HttpApiEndpoint.delete("delete", "/mailboxes/:mailbox/messages/:id", {
      params: message,
      success: MailboxViews.DeleteResult,
      error: mailboxErrors
    })
  )
  .middleware(Authorization)
  .prefix("/api")
  .annotateMerge(OpenApi.annotations({ title: "Mailboxes", description: "Read local mail stored in Maildirs" }))
{}

/** `GET /api/events`: server-sent events (`text/event-stream`), see `Events.ts`. */
export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("events", "/events", {
      success: Schema.String.pipe(HttpApiSchema.asText({ contentType: "text/event-stream" }))
    })
  )
  .middleware(Authorization)
  .prefix("/api")
  .annotateMerge(OpenApi.annotations({ title: "Events", description: "Live events: mail, mail-removed, queue" }))
{}

/** The whole API. */
export class Api extends HttpApi.make("cartero")
  .add(HealthGroup)
  .add(SystemGroup)
  .add(QueueGroup)
  .add(MailboxGroup)
  .add(EventsGroup)
  .annotateMerge(OpenApi.annotations({ title: "Cartero operator API", version: "0.1.0" }))
{}
