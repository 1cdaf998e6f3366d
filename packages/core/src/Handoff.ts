/**
 * Coordination between storage plugins in the `queue` phase.
 *
 * A message may go to several stores: local recipients to Maildir, remote ones to the mail queue. Each storage
 * plugin stores the recipients it is responsible for, marks them handled, and registers how to undo that store.
 * It answers `Accept` once every recipient of the transaction is handled, `Continue` otherwise, so the next
 * storage plugin takes the rest. If the phase ends without an `Accept` (a later store failed, or nobody took some
 * recipients) the pipeline runs the registered rollbacks, newest first, before answering `451 4.3.0`: the
 * client's retry then cannot duplicate what an earlier store already kept. A message is stored whole or not at all.
 *
 * ```ts
 * queue: (txn, message) => Effect.gen(function*() {
 *   const mine = (yield* Handoff.unhandled(txn)).filter(({ recipient }) => isLocal(recipient))
 *   const files = yield* store(mine, message)
 *   yield* Handoff.onRollback(txn, removeFiles(files))
 *   yield* Handoff.markHandled(txn, mine.map((r) => r.index))
 *   return (yield* Handoff.allHandled(txn)) ? Verdict.accept({ text: "stored" }) : Verdict.next
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Envelope } from "@cartero/smtp"
import { Cause, Effect, Option } from "effect"
import * as Notes from "./Notes.ts"
import type { Transaction } from "./Session.ts"

/** A recipient of the transaction with its position (stable across plugins). */
export interface IndexedRecipient {
  readonly index: number
  readonly recipient: Envelope.Recipient
}

const Handled = Notes.make<ReadonlySet<number>>("cartero.handoff.handled")
const Rollbacks = Notes.make<ReadonlyArray<Effect.Effect<void, unknown>>>("cartero.handoff.rollbacks")

const handledSet = (txn: Transaction): ReadonlySet<number> => Option.getOrElse(Handled.unsafeGet(txn), () => new Set<number>())

/** Marks recipients (by index) as stored. */
export const markHandled = (txn: Transaction, indexes: Iterable<number>): Effect.Effect<void> =>
  Handled.update(txn, (current) => {
    const next = new Set(Option.getOrElse(current, () => new Set<number>()))
    for (const i of indexes) next.add(i)
    return next
  }).pipe(Effect.asVoid)

/** Recipients no storage plugin has handled yet, with their indexes. */
export const unhandled = (txn: Transaction): Effect.Effect<ReadonlyArray<IndexedRecipient>> =>
  Effect.sync(() => {
    const done = handledSet(txn)
    const out: Array<IndexedRecipient> = []
    txn.recipients.forEach((recipient, index) => {
      if (!done.has(index)) out.push({ index, recipient })
    })
    return out
  })

/** Whether every recipient of the transaction is handled. */
export const allHandled = (txn: Transaction): Effect.Effect<boolean> =>
  Effect.sync(() => handledSet(txn).size >= txn.recipients.length)

/** Registers how to undo a store, should the `queue` phase end without an `Accept`. */
export const onRollback = (txn: Transaction, undo: Effect.Effect<void, unknown>): Effect.Effect<void> =>
  Rollbacks.update(txn, (current) => [...Option.getOrElse(current, () => []), undo]).pipe(Effect.asVoid)

/**
 * Runs the registered rollbacks, newest first, and forgets them and the handled marks. Failures are logged (a
 * rollback that fails leaves a copy behind; the client's retry may then deliver it twice, which the log says).
 * Called by the pipeline; storage plugins do not call it.
 */
export const rollback = (txn: Transaction): Effect.Effect<void> =>
  Effect.gen(function*() {
    const undos = Option.getOrElse(Rollbacks.unsafeGet(txn), () => [])
    yield* Rollbacks.set(txn, [])
    yield* Handled.set(txn, new Set())
    for (const undo of [...undos].reverse()) {
      yield* undo.pipe(
        Effect.catchCause((cause) =>
          Cause.hasInterruptsOnly(cause)
            ? Effect.failCause(cause)
            : Effect.logError("rollback of a partial store failed; a retry may duplicate it", cause).pipe(
              Effect.annotateLogs({ txn: txn.id })
            )
        )
      )
    }
  }) as Effect.Effect<void>
