/**
 * A store of the `queue` phase that keeps messages in memory, for tests of servers and of other stores: what it
 * was given, and what the pipeline made it undo.
 *
 * ```ts
 * const store = TestStore.make({ takes: (r) => r.address.domain !== "example.test" })
 * Pipeline.Pipeline.layer([LocalDomains.pluginConfig, Maildir.plugin(...), store.plugin])
 * // … after the session:
 * store.stored[0]?.recipients   // who it stored the message for
 * store.undone.length           // 1 if a later store failed
 * ```
 *
 * @since 0.1.0
 */
import { type Message, Plugin, type Session, Store } from "@cartero/core"
import { type Envelope, Verdict } from "@cartero/smtp"
import type { Duration } from "effect"
import { Effect } from "effect"

/** One message as the store got it. */
export interface Stored {
  readonly transaction: Session.Transaction
  readonly recipients: ReadonlyArray<Envelope.Recipient>
  readonly message: Message.Message
}

/** Options of {@link make}. */
export interface Options {
  /** The plugin's name; default `test-store`. */
  readonly name?: string
  /** Which recipients it takes; default all. */
  readonly takes?: (recipient: Envelope.Recipient) => boolean
  /** What `write` answers after recording; default `Accept` without a reply. */
  readonly write?: (stored: Stored) => Effect.Effect<Store.WriteVerdict, unknown>
  /** The plugin's hook timeout. */
  readonly timeout?: Duration.Input
  /** Declare the store final delivery (`Store.Spec.mailbox`), as Maildir does. Default `false`. */
  readonly mailbox?: boolean
}

/** A recording store. `stored` holds what was written and not undone; `undone` what was undone, in order. */
export interface TestStore {
  readonly plugin: Plugin.Plugin
  readonly stored: Array<Stored>
  readonly undone: Array<Stored>
}

/** Makes a recording store. */
export const make = (options: Options = {}): TestStore => {
  const stored: Array<Stored> = []
  const undone: Array<Stored> = []
  const plugin = Plugin.make(
    options.name ?? "test-store",
    Effect.succeed({
      queue: Store.make({
        takes: (_transaction, recipient) => Effect.succeed(options.takes?.(recipient) ?? true),
        prepare: (transaction, recipients) => Effect.succeed({ transaction, recipients, written: undefined as Stored | undefined }),
        write: (receipt, message) =>
          Effect.suspend(() => {
            const entry: Stored = { transaction: receipt.transaction, recipients: receipt.recipients, message }
            receipt.written = entry
            stored.push(entry)
            return options.write?.(entry) ?? Effect.succeed(Verdict.accept())
          }),
        undo: (receipt) =>
          Effect.sync(() => {
            const entry = receipt.written
            if (entry === undefined) return
            receipt.written = undefined
            stored.splice(stored.indexOf(entry), 1)
            undone.push(entry)
          }),
        mailbox: options.mailbox ?? false
      })
    }),
    options.timeout === undefined ? undefined : { timeout: options.timeout }
  )
  return { plugin, stored, undone }
}

/** A store that takes every recipient and whose write fails with `error` (a backend that is down). */
export const failing = (error: unknown, name = "failing-store"): Plugin.Plugin =>
  make({ name, write: () => Effect.fail(error) }).plugin
