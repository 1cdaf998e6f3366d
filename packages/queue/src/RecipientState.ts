/**
 * The life cycle of one recipient in the queue.
 *
 * ```
 *   pending ──claim──▶ inflight ──complete──▶ delivered | failed        (final)
 *      ▲                 │   │
 *      │   lease expiry  │   └──complete(deferred)──▶ deferred ──due──▶ (claimable, like pending)
 *      └─────────────────┘
 *   pending | deferred ──hold──▶ held ──release──▶ pending | deferred
 * ```
 *
 * `pending` and `deferred` are both *waiting*: claimable once their next attempt time has come. They differ only in
 * whether a delivery attempt has already been made, which is what an operator wants to see.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** Every state a recipient can be in. */
export const RecipientState = Schema.Literals(["pending", "inflight", "delivered", "deferred", "failed", "held"])
export type RecipientState = typeof RecipientState.Type

/** All states, in display order. */
export const all: ReadonlyArray<RecipientState> = ["pending", "inflight", "deferred", "held", "delivered", "failed"]

/** Whether a stored value is a state (stores read states back as text). */
export const is = (value: string): value is RecipientState => (all as ReadonlyArray<string>).includes(value)

/** Final states: nothing more will happen to the recipient. */
export const isFinal = (state: string): boolean => state === "delivered" || state === "failed"

/** Waiting states: the recipient may be claimed once its next attempt time is due. */
export const isWaiting = (state: string): boolean => state === "pending" || state === "deferred"

/** Where a recipient goes when it waits again: `deferred` once an attempt has been made, otherwise `pending`. */
export const waitingFor = (attempts: number): RecipientState => (attempts > 0 ? "deferred" : "pending")
