/**
 * Selecting queued messages for the API: the HTTP filter (`state`, `domain`, `sender`, `recipient`, `olderThan`)
 * turned into the queue's `ListFilter`, and paging over it.
 *
 * The store filters by state, domain, sender and age itself. `recipient` is not a store filter (a listing carries
 * no addresses), so those listings read each candidate (`show`) and keep those with a recipient address containing
 * the text: a scan of the candidates, fine for an operator's query, not for a hot path. The cursor stays the
 * store's (arrival time, id), so paging works the same with or without it.
 *
 * @since 0.1.0
 */
import { Listing, type MailQueue, type QueuedMessage, type RecipientState } from "@cartero/queue"
import { Setting } from "@cartero/settings"
import { Clock, Duration, Effect } from "effect"
import { InvalidQuery } from "./ApiError.ts"

/** The filter as the query string gives it. */
export interface FilterParams {
  readonly state?: RecipientState.RecipientState | undefined
  readonly domain?: string | undefined
  readonly sender?: string | undefined
  readonly recipient?: string | undefined
  readonly olderThan?: string | undefined
}

/** A parsed selection. */
export interface Selection {
  readonly filter: Listing.ListFilter
  /** Lower-cased text a recipient address must contain. */
  readonly recipient: string | undefined
}

/** Parses the filter; `olderThan` is a duration (`90s`, `30m`, `2h`, `3d`; a bare number is seconds). */
export const parse = Effect.fn("QueueSelection.parse")(function*(params: FilterParams) {
  let arrivedBefore: number | undefined
  if (params.olderThan !== undefined) {
    const age = Setting.duration(params.olderThan)
    if (age === undefined) {
      return yield* new InvalidQuery({ parameter: "olderThan", message: `expected a duration such as 30m, 2h or 3d, got ${JSON.stringify(params.olderThan)}` })
    }
    arrivedBefore = (yield* Clock.currentTimeMillis) - Duration.toMillis(age)
  }
  const selection: Selection = {
    filter: { state: params.state, domain: params.domain, sender: params.sender, arrivedBefore },
    recipient: params.recipient === undefined || params.recipient === "" ? undefined : params.recipient.toLowerCase()
  }
  return selection
})

/** Whether the filter selects anything less than the whole queue. */
export const isFiltered = (params: FilterParams): boolean =>
  [params.state, params.domain, params.sender, params.recipient, params.olderThan].some((v) => v !== undefined && v !== "")

/** Parses `limit`: 1-1000, default 50. */
export const limit = (raw: string | undefined): Effect.Effect<number, InvalidQuery> => {
  if (raw === undefined) return Effect.succeed(50)
  const n = Setting.int(1, 1000)(raw)
  return n === undefined
    ? Effect.fail(new InvalidQuery({ parameter: "limit", message: `expected an integer 1-1000, got ${JSON.stringify(raw)}` }))
    : Effect.succeed(n)
}

const hasRecipient = (message: QueuedMessage.QueuedMessage, text: string): boolean =>
  message.recipients.some((r) =>
    r.recipient !== undefined && `${r.recipient.address.localPart}@${r.recipient.address.domain}`.toLowerCase().includes(text)
  )

/** How many summaries a recipient scan reads from the store at a time. */
const scanBatch = 200

/** One page of the selection. */
export const page = Effect.fn("QueueSelection.page")(function*(
  queue: MailQueue.Service,
  selection: Selection,
  request: Listing.PageRequest
) {
  const text = selection.recipient
  if (text === undefined) return yield* queue.list(selection.filter, request)
  const items: Array<QueuedMessage.MessageSummary> = []
  let cursor = request.cursor
  while (true) {
    const batch = yield* queue.list(selection.filter, { limit: scanBatch, cursor })
    for (const summary of batch.items) {
      const message = yield* queue.show(summary.id).pipe(
        Effect.catchTag("MessageNotFound", () => Effect.succeed(undefined))
      )
      if (message !== undefined && hasRecipient(message, text)) items.push(summary)
      if (items.length === request.limit) {
        return { items, next: Listing.makeCursor(summary.arrivedAt, summary.id) } satisfies Listing.Page
      }
    }
    if (batch.next === undefined) return { items, next: undefined } satisfies Listing.Page
    cursor = batch.next
  }
})

/** Every message of the selection, page after page (each page moves strictly forward, so this ends). */
export const all = Effect.fn("QueueSelection.all")(function*(queue: MailQueue.Service, selection: Selection) {
  const out: Array<QueuedMessage.MessageSummary> = []
  let cursor: string | undefined
  do {
    const p = yield* page(queue, selection, { limit: 1000, cursor })
    out.push(...p.items)
    cursor = p.next
  } while (cursor !== undefined)
  return out
})
