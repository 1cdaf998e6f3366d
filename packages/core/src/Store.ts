/**
 * The `queue` phase: storing the message, in one or more stores (Maildir for local recipients, the mail queue for
 * the rest, …), whole or not at all. maddy's `Delivery { AddRcpt, Body, Commit, Abort }` is the model: a store
 * declares what it does, and the pipeline runs the protocol, so no store can skip a step.
 *
 * A store says
 * - `takes`: which recipients it is responsible for (it is asked only about recipients no earlier store took);
 * - `prepare`: what it will write for them (message ids, file names), without writing anything yet;
 * - `write`: write the message durably, answering `Accept` (optionally with the success reply) or refusing with
 *   `Reject` / `Defer` (e.g. `451` when its backend is down);
 * - `undo`: remove whatever `write` wrote or may have written for that receipt. It must be idempotent and must
 *   cope with a write that failed or was cut short by the plugin's timeout half-way.
 *
 * The pipeline, for each plugin with a store, in hook order: the recipients still unstored it `takes` →
 * `prepare` → `undo` registered → `write`. The client gets `250` (the reply of the last store that wrote, else
 * `250 2.6.0 Message queued as <id>`) only when every recipient is stored. When any step fails, dies, times out or
 * refuses, or when a recipient was taken by no store, every registered `undo` runs, newest first, and the client
 * gets the refusal (or `451 4.3.0`): its retry cannot duplicate what an earlier store had already kept.
 *
 * ```ts
 * queue: Store.make({
 *   takes: (txn, recipient) => isLocal(txn, recipient),
 *   prepare: (txn, recipients) => Effect.sync(() => names(txn, recipients)),
 *   write: (files, message) => writeFiles(files, message).pipe(Effect.as(Verdict.accept())),
 *   undo: (files) => removeFiles(files)
 * })
 * ```
 *
 * Put a store whose writes others act on at once (the mail queue: delivery workers claim what it holds) last, so
 * that no later store's failure has to take back work already started.
 *
 * @since 0.1.0
 */
import { type Envelope, Verdict } from "@cartero/smtp"
import { Effect } from "effect"
import type { Hooks } from "./Hooks.ts"
import type { Message } from "./Message.ts"
import * as Plugin from "./Plugin.ts"
import * as PluginMetrics from "./PluginMetrics.ts"
import * as Replies from "./Replies.ts"
import * as Runner from "./Runner.ts"
import type { Transaction } from "./Session.ts"

/** What a store's `write` answers: stored (with an optional `2yz` reply for the client), or refused. */
export type WriteVerdict = Verdict.Accept | Verdict.Reject | Verdict.Defer

/** A store, as its author writes it. `Receipt` is whatever `prepare` names and `undo` needs. */
export interface Spec<Receipt> {
  /** Whether this store is responsible for `recipient`. */
  readonly takes: (transaction: Transaction, recipient: Envelope.Recipient) => Effect.Effect<boolean, unknown>
  /** Names what `write` will write for `recipients` (never empty), writing nothing yet. */
  readonly prepare: (transaction: Transaction, recipients: ReadonlyArray<Envelope.Recipient>) => Effect.Effect<Receipt, unknown>
  /** Writes the message durably. */
  readonly write: (receipt: Receipt, message: Message) => Effect.Effect<WriteVerdict, unknown>
  /** Removes what `write` wrote or may have written; idempotent. */
  readonly undo: (receipt: Receipt) => Effect.Effect<void, unknown>
}

/** One store's part in one message, once prepared. */
export interface Delivery {
  readonly write: (message: Message) => Effect.Effect<WriteVerdict, unknown>
  readonly undo: Effect.Effect<void, unknown>
}

/** A store, as a hooks record holds it (made with {@link make}; its receipt type stays inside). */
export interface Store {
  readonly takes: Spec<unknown>["takes"]
  readonly begin: (transaction: Transaction, recipients: ReadonlyArray<Envelope.Recipient>) => Effect.Effect<Delivery, unknown>
}

/** Makes the `queue` hook of a store. */
export const make = <Receipt>(spec: Spec<Receipt>): Store => ({
  takes: spec.takes,
  begin: (transaction, recipients) =>
    Effect.map(spec.prepare(transaction, recipients), (receipt): Delivery => ({
      write: (message) => spec.write(receipt, message),
      undo: Effect.suspend(() => spec.undo(receipt))
    }))
})

interface Undo {
  readonly plugin: Plugin.Plugin<unknown, unknown, unknown>
  readonly undo: Effect.Effect<void, unknown>
}

/** Runs the undos newest first; a failing one is logged (a copy stays behind, which a retry may duplicate). */
const rollback = (transaction: Transaction, undos: Array<Undo>): Effect.Effect<void> =>
  Effect.suspend(() =>
    Effect.forEach(undos.splice(0).reverse(), ({ plugin, undo }) =>
      Plugin.guard(plugin, "queue", undo).pipe(
        Effect.catch(() =>
          Effect.logError("rollback of a partial store failed; a retry may duplicate it").pipe(
            Effect.annotateLogs({ plugin: plugin.name, txn: transaction.id })
          )
        )
      ), { discard: true })
  )

/**
 * Runs the store protocol of the `queue` phase over the plugins' stores, in order (see the module comment).
 * Answers `Accept` only when every recipient is stored.
 */
export const run = (
  built: ReadonlyArray<Plugin.Built<Hooks>>,
  transaction: Transaction,
  message: Message
): Effect.Effect<Verdict.Verdict> =>
  Effect.suspend(() => {
    const undos: Array<Undo> = []
    // The store at work, to whom a failure is attributed (Runner.decidedBy).
    let current: string | undefined
    const store = Effect.gen(function*() {
      const context = yield* Effect.context<never>()
      let remaining = transaction.recipients
      let stored: Verdict.Accept | undefined
      for (const { hooks, plugin } of built) {
        const spec = hooks.queue
        if (spec === undefined || remaining.length === 0) continue
        current = plugin.name
        const mine: Array<Envelope.Recipient> = []
        const rest: Array<Envelope.Recipient> = []
        for (const recipient of remaining) {
          if (yield* Plugin.guard(plugin, "queue", spec.takes(transaction, recipient))) mine.push(recipient)
          else rest.push(recipient)
        }
        if (mine.length === 0) continue
        // Timed and counted from `begin` to the end of `write`: the store's own work (PluginMetrics).
        const metrics = PluginMetrics.of(plugin, "queue")
        const started = PluginMetrics.now()
        const verdict = yield* Plugin.guard(plugin, "queue", spec.begin(transaction, mine)).pipe(
          Effect.flatMap((delivery) => {
            undos.push({ plugin, undo: delivery.undo })
            return Plugin.guard(plugin, "queue", delivery.write(message))
          }),
          Effect.tapError(() => Effect.sync(() => PluginMetrics.record(metrics, started, "Failed", context)))
        )
        PluginMetrics.record(metrics, started, verdict._tag, context)
        if (verdict._tag !== "Accept") return Runner.attribute(verdict, plugin.name)
        stored = verdict
        remaining = rest
      }
      return remaining.length > 0 || stored === undefined ? Replies.notStored : stored
    })
    return store.pipe(
      Effect.catch(() =>
        Effect.succeed<Verdict.Verdict>(current === undefined ? Replies.tempFail : Runner.attribute(Replies.tempFail, current))
      ),
      Effect.tap((verdict) => (verdict._tag === "Accept" ? Effect.void : rollback(transaction, undos))),
      Effect.onInterrupt(() => rollback(transaction, undos))
    )
  })
