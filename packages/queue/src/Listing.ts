/**
 * Filters, pages and statistics for operators (`list`, `stats`): what a CLI or web UI shows of the queue.
 *
 * Paging is by cursor, not offset, so a listing stays consistent while messages arrive and leave: the cursor is
 * the (arrival time, id) of the last message returned, and the next page starts strictly after it.
 *
 * @since 0.1.0
 */
import type { MessageSummary } from "./QueuedMessage.ts"
import type * as RecipientState from "./RecipientState.ts"

/** Which messages to list. Every given criterion must hold. */
export interface ListFilter {
  /** At least one recipient is in this state. */
  readonly state?: RecipientState.RecipientState | undefined
  /** At least one recipient has this destination domain (case-insensitive). */
  readonly domain?: string | undefined
  /** The sender address contains this text (case-insensitive); `<>` matches the null sender. */
  readonly sender?: string | undefined
  /** Arrived at or before this epoch millisecond. */
  readonly arrivedBefore?: number | undefined
}

/** A page request. */
export interface PageRequest {
  readonly limit: number
  /** The `next` of the previous page. */
  readonly cursor?: string | undefined
}

/** A page of summaries, oldest first. */
export interface Page {
  readonly items: ReadonlyArray<MessageSummary>
  /** Pass to get the next page; absent on the last page. */
  readonly next: string | undefined
}

/** Queue statistics. */
export interface Stats {
  readonly messages: number
  /** Recipients per state (every state present, zero when none). */
  readonly recipients: Readonly<Record<RecipientState.RecipientState, number>>
  /** Arrival time of the oldest message still queued. */
  readonly oldestArrivedAt: number | undefined
}

/** A cursor for the position after (arrivedAt, id). */
export const makeCursor = (arrivedAt: number, id: string): string => `${arrivedAt.toString(36)}.${id}`

/** Parses a cursor; a malformed one starts from the beginning. */
export const parseCursor = (cursor: string | undefined): { readonly arrivedAt: number; readonly id: string } | undefined => {
  if (cursor === undefined) return undefined
  const m = /^([0-9a-z]{1,12})\.([0-9a-z]{1,64})$/.exec(cursor)
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined
  return { arrivedAt: parseInt(m[1], 36), id: m[2] }
}

/** Whether (arrivedAt, id) comes strictly after the cursor position. */
export const isAfter = (arrivedAt: number, id: string, cursor: { readonly arrivedAt: number; readonly id: string } | undefined): boolean =>
  cursor === undefined || arrivedAt > cursor.arrivedAt || (arrivedAt === cursor.arrivedAt && id > cursor.id)

/** Whether a summary matches a filter (stores that cannot filter natively use this after loading). */
export const matches = (summary: MessageSummary, domains: ReadonlyArray<string>, filter: ListFilter): boolean => {
  if (filter.state !== undefined && (summary.states[filter.state] ?? 0) === 0) return false
  if (filter.domain !== undefined && !domains.includes(filter.domain.toLowerCase())) return false
  if (filter.sender !== undefined && !summary.sender.toLowerCase().includes(filter.sender.toLowerCase())) return false
  if (filter.arrivedBefore !== undefined && summary.arrivedAt > filter.arrivedBefore) return false
  return true
}

/** Zero counts for every state. */
export const emptyCounts = (): Record<RecipientState.RecipientState, number> => ({
  pending: 0,
  inflight: 0,
  deferred: 0,
  held: 0,
  delivered: 0,
  failed: 0
})
