/**
 * The handlers of the mailbox endpoints and of `/api/events`, over the `Mailboxes` service of `@cartero/mailbox`.
 *
 * Downloads (`raw`, `part`) are served so that a browser never runs them: `X-Content-Type-Options: nosniff` and
 * `Content-Security-Policy: sandbox; default-src 'none'`; only images the browser decodes as images (not SVG) are
 * `inline`, everything else is an `attachment`.
 *
 * @since 0.1.0
 */
import { MailboxError, Mailboxes } from "@cartero/mailbox"
import { MailQueue } from "@cartero/queue"
import { Effect, Stream } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "./Api.ts"
import * as ApiError from "./ApiError.ts"
import * as Events from "./Events.ts"

/** Mailbox errors in the API's terms. */
const mapErrors = <A, R>(
  effect: Effect.Effect<
    A,
    MailboxError.MailboxNotFound | MailboxError.MailboxMessageNotFound | MailboxError.PartNotFound | MailboxError.InvalidSearch | MailboxError.MaildirReadError,
    R
  >
) =>
  effect.pipe(
    Effect.catchTags({
      MailboxNotFound: (e) => Effect.fail(new ApiError.MailboxNotFound({ mailbox: e.mailbox })),
      MailboxMessageNotFound: (e) => Effect.fail(new ApiError.MailboxMessageNotFound({ mailbox: e.mailbox, id: e.id })),
      PartNotFound: (e) => Effect.fail(new ApiError.MailboxPartNotFound({ mailbox: e.mailbox, id: e.id, index: e.index })),
      InvalidSearch: (e) => Effect.fail(new ApiError.InvalidQuery({ parameter: e.parameter, message: e.message })),
      MaildirReadError: (e) =>
        Effect.logWarning("HTTP API: Maildir error", e).pipe(Effect.andThen(Effect.fail(new ApiError.MailboxUnavailable({ message: e.message }))))
    })
  )

/** `limit`: 1-500, default 50. */
export const limit = (text: string | undefined): Effect.Effect<number | undefined, ApiError.InvalidQuery> => {
  if (text === undefined) return Effect.succeed(undefined)
  const n = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN
  return n >= 1 && n <= Mailboxes.MAX_PAGE
    ? Effect.succeed(n)
    : Effect.fail(new ApiError.InvalidQuery({ parameter: "limit", message: `limit must be 1-${Mailboxes.MAX_PAGE}, not "${text.slice(0, 40)}"` }))
}

/** The headers that keep a served file from running in the browser. */
const inert = { "x-content-type-options": "nosniff", "content-security-policy": "sandbox; default-src 'none'", "cache-control": "private, no-store" }

/** `Content-Disposition` with an ASCII fallback name and the exact one (RFC 6266 / RFC 8187). */
export const disposition = (type: "inline" | "attachment", filename: string): string => {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\%]/g, "_").slice(0, 200) || "part"
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename.slice(0, 200))}`
}

const inlineImages = new Set(["image/png", "image/gif", "image/jpeg", "image/webp"])

/** The URL of part `index`, as the sanitised HTML refers to embedded images. */
export const partUrl = (mailbox: string, id: string) => (index: number): string =>
  `/api/mailboxes/${encodeURIComponent(mailbox)}/messages/${encodeURIComponent(id)}/parts/${index}`

/** `/api/mailboxes/...`. */
export const mailboxes = HttpApiBuilder.group(
  Api,
  "mailboxes",
  Effect.fn(function*(handlers) {
    const m = yield* Mailboxes.Mailboxes
    return handlers
      .handle("list", () => mapErrors(m.list).pipe(Effect.map((mailboxes) => ({ mailboxes }))))
      .handle("messages", ({ params, query }) =>
        Effect.gen(function*() {
          const n = yield* limit(query.limit)
          return yield* mapErrors(m.messages(params.mailbox, { search: query.search, limit: n, cursor: query.cursor }))
        }))
      .handle("message", ({ params }) => mapErrors(m.message(params.mailbox, params.id, partUrl(params.mailbox, params.id))))
      .handle("raw", ({ params }) =>
        mapErrors(m.raw(params.mailbox, params.id)).pipe(Effect.map((bytes) =>
          HttpServerResponse.uint8Array(bytes, {
            contentType: "message/rfc822",
            headers: { ...inert, "content-disposition": disposition("attachment", `${params.id.slice(0, 60)}.eml`) }
          })
        )))
      .handle("part", ({ params }) =>
        Effect.gen(function*() {
          const index = /^\d{1,6}$/.test(params.index) ? Number(params.index) : -1
          const found = yield* mapErrors(m.part(params.mailbox, params.id, index))
          const type = found.info.contentType
          const inline = found.info.disposition === "inline" && inlineImages.has(type)
          const contentType = type.startsWith("text/") && found.charset !== undefined && /^[\w.:-]{1,40}$/.test(found.charset)
            ? `${type}; charset=${found.charset}`
            : type
          return HttpServerResponse.uint8Array(found.content, {
            contentType,
            headers: { ...inert, "content-disposition": disposition(inline ? "inline" : "attachment", found.info.filename ?? `part-${index}`) }
          })
        }))
      .handle("flag", ({ params }) => mapErrors(m.setSeen(params.mailbox, params.id, params.flag === "seen")).pipe(Effect.map((seen) => ({ seen }))))
      .handle("delete", ({ params }) => mapErrors(m.remove(params.mailbox, params.id)).pipe(Effect.as({ deleted: true as const })))
  })
)

/** `/api/events`; the streams stop when the server shuts down (`Events.ShutdownSignal`). */
export const events = HttpApiBuilder.group(
  Api,
  "events",
  Effect.fn(function*(handlers) {
    const m = yield* Mailboxes.Mailboxes
    const q = yield* MailQueue.MailQueue
    const shutdown = yield* Events.ShutdownSignal
    return handlers.handle("events", () =>
      Effect.succeed(HttpServerResponse.stream(Stream.encodeText(Events.stream(m, q, shutdown.await)), {
        contentType: "text/event-stream",
        headers: { "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" }
      })))
  })
)
