/**
 * The phases of a message's life at which plugins are consulted.
 *
 * Inbound phases follow the SMTP session (RFC 5321 §3): `connect` → `helo` → (`auth`) → `mailFrom` → `rcptTo`
 * (once per recipient) → `data` (headers parsed) → `message` (whole body read) → `queue` (hand-off/storage) →
 * `disconnect`. Outbound phases run in the delivery worker.
 *
 * @since 0.1.0
 */

/** Inbound phases, in session order. */
export const inbound = ["connect", "helo", "auth", "mailFrom", "rcptTo", "data", "message", "queue", "disconnect"] as const
/** Outbound phases, in delivery order. */
export const outbound = ["route", "beforeSend", "delivered", "deferred", "bounced"] as const

/** An inbound phase. */
export type Inbound = (typeof inbound)[number]
/** An outbound phase. */
export type Outbound = (typeof outbound)[number]
/** Any phase. */
export type Phase = Inbound | Outbound

/** Whether `s` names a phase. */
export const isPhase = (s: string): s is Phase =>
  (inbound as ReadonlyArray<string>).includes(s) || (outbound as ReadonlyArray<string>).includes(s)
