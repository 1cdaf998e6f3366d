/**
 * What `cartero queue` prints: a human table and a JSON document for each command.
 *
 * JSON is a stable, explicit shape (not the internal records): times are ISO 8601 UTC strings, addresses are
 * `local@domain` strings, replies are `{ code, enhanced, text }`, and absent values are `null`. Scripts can rely on
 * it; the tables are for people and may change.
 *
 * A quarantined message (its stored record cannot be read whole) is shown like any other, with its reason:
 * `quarantine` in JSON (`null` otherwise), `(quarantined)` after its id in the list and the reason under the table,
 * a `quarantine` row in `show`. Whatever its record lacks (an unreadable envelope's recipients) is `null` / `?`.
 *
 * @since 0.1.0
 */
import type { Listing } from "@cartero/queue"
import { QueuedMessage, QueueViews, RecipientState } from "@cartero/queue"
import * as Table from "./Table.ts"

/** ISO 8601 UTC, to the second (the queue's resolution for people). */
export const time = QueueViews.time

const cell = (ms: number | undefined): string => time(ms) ?? "-"

const address = (a: { readonly localPart: string; readonly domain: string } | null): string =>
  a === null ? "<>" : `${a.localPart}@${a.domain}`

/** What stands for a value a quarantined record lacks, in tables. */
const unreadable = "?"

const states = (counts: Readonly<Partial<Record<RecipientState.RecipientState, number>>>): string =>
  RecipientState.all.flatMap((s) => ((counts[s] ?? 0) > 0 ? [`${s} ${counts[s] ?? 0}`] : [])).join(", ")

// --- list ---------------------------------------------------------------------------------------------------

/** A message's recipients as `local@domain` (`null` for one a quarantined record lost). */
export const addresses = (m: QueuedMessage.QueuedMessage): ReadonlyArray<string | null> =>
  m.recipients.map((r) => (r.recipient === undefined ? null : address(r.recipient.address)))

/** Addresses per listed message id (`null`: not known, e.g. delivered between the listing and the lookup). */
export type Addresses = ReadonlyMap<string, ReadonlyArray<string | null> | null>

export const summaryJson = (s: QueuedMessage.MessageSummary, to: ReadonlyArray<string | null> | null = null) => ({
  id: s.id,
  arrivedAt: time(s.arrivedAt),
  sender: s.sender,
  size: s.bodySize,
  held: s.held,
  recipients: s.recipients,
  to,
  states: s.states,
  nextAttemptAt: time(s.nextAttemptAt),
  traceId: s.traceId,
  quarantine: s.quarantine ?? null
})

export const listJson = (items: ReadonlyArray<QueuedMessage.MessageSummary>, next: string | undefined, to: Addresses = new Map()) => ({
  items: items.map((s) => summaryJson(s, to.get(s.id) ?? null)),
  next: next ?? null
})

/** The recipients cell: the first three addresses, then how many more. */
const recipientsCell = (count: number, to: ReadonlyArray<string | null> | null | undefined): string => {
  if (to === null || to === undefined) return String(count)
  const shown = to.slice(0, 3).map((a) => a ?? unreadable).join(", ")
  return to.length > 3 ? `${shown} +${to.length - 3}` : shown
}

export const listTable = (items: ReadonlyArray<QueuedMessage.MessageSummary>, next: string | undefined, to: Addresses = new Map()): string => {
  if (items.length === 0) return "queue is empty (no message matches)"
  const table = Table.render(
    [
      { header: "ID" },
      { header: "ARRIVED" },
      { header: "SIZE", align: "right" },
      { header: "SENDER" },
      { header: "RECIPIENTS" },
      { header: "STATES" },
      { header: "NEXT ATTEMPT" }
    ],
    items.map((s) => [
      s.quarantine !== undefined ? `${s.id} (quarantined)` : s.held ? `${s.id} (held)` : s.id,
      cell(s.arrivedAt),
      String(s.bodySize),
      s.sender,
      recipientsCell(s.recipients, to.get(s.id)),
      states(s.states),
      cell(s.nextAttemptAt)
    ])
  )
  const quarantined = items.flatMap((s) => (s.quarantine === undefined ? [] : [`${s.id}: quarantined: ${Table.safe(s.quarantine)}`]))
  const footer = `${items.length} message${items.length === 1 ? "" : "s"}`
  const body = quarantined.length === 0 ? table : `${table}\n${quarantined.join("\n")}`
  return next === undefined ? `${body}\n${footer}` : `${body}\n${footer}; more with --cursor ${next}`
}

// --- show ---------------------------------------------------------------------------------------------------

/** `show --json`: the HTTP API's document of one message. */
export const messageJson = QueueViews.detail

export const messageTable = (m: QueuedMessage.QueuedMessage): string => {
  const head = Table.render(
    [{ header: "FIELD" }, { header: "VALUE" }],
    [
      ["id", m.id],
      ["arrived", cell(m.arrivedAt)],
      ["sender", m.sender],
      ["size", `${m.bodySize} bytes`],
      ["held", m.held ? "yes" : "no"],
      ["trace", m.traceId],
      ["quarantine", m.quarantine ?? "-"]
    ]
  )
  const recipients = Table.render(
    [
      { header: "#", align: "right" },
      { header: "RECIPIENT" },
      { header: "STATE" },
      { header: "ATTEMPTS", align: "right" },
      { header: "NEXT ATTEMPT" },
      { header: "LAST REPLY" }
    ],
    messageJson(m).recipients.map((r) => [
      String(r.index),
      r.address ?? unreadable,
      r.state === "inflight" && r.leaseExpiresAt !== null ? `inflight (lease to ${r.leaseExpiresAt})` : r.state,
      String(r.attempts),
      r.nextAttemptAt ?? "-",
      r.lastReply === null ? "-" : `${r.lastReply.code} ${r.lastReply.text}`.trimEnd()
    ])
  )
  return `${head}\n\n${recipients}`
}

// --- cat ----------------------------------------------------------------------------------------------------

export const contentJson = (m: QueuedMessage.QueuedMessage, content: string) => ({
  id: m.id,
  traceId: m.traceId,
  sender: m.sender,
  recipients: addresses(m),
  size: m.bodySize,
  content
})

// --- stats --------------------------------------------------------------------------------------------------

export const statsJson = (s: Listing.Stats, store: string) => ({
  store,
  messages: s.messages,
  recipients: s.recipients,
  oldestArrivedAt: time(s.oldestArrivedAt)
})

export const statsTable = (s: Listing.Stats, store: string): string =>
  Table.render(
    [{ header: "STATE" }, { header: "RECIPIENTS", align: "right" }],
    RecipientState.all.map((state) => [state, String(s.recipients[state])])
  ) + `\n\nmessages: ${s.messages}\noldest:   ${cell(s.oldestArrivedAt)}\nstore:    ${store}`

// --- retry / hold / release / delete ------------------------------------------------------------------------

/** The operator actions and the past tense the output uses. */
export const actions = { retry: "made due now", hold: "held", release: "released", delete: "deleted" } as const
export type Action = keyof typeof actions

export interface ActionResult {
  readonly id: string
  readonly action: Action
  /** Recipients changed (for `delete`: the message's recipient count before deletion). */
  readonly recipients: number
}

export const actionLine = (r: ActionResult): string =>
  r.action === "delete"
    ? `${r.id}: deleted (${r.recipients} recipient${r.recipients === 1 ? "" : "s"})`
    : `${r.id}: ${r.recipients} recipient${r.recipients === 1 ? "" : "s"} ${actions[r.action]}`
