/**
 * The `maildir` plugin: stores accepted messages for local recipients in Maildirs
 * (`<root>/<domain>/<local>/Maildir/new/<unique name>`).
 *
 * It is a store of the `queue` phase (core `Store`): it takes the local recipients (`isLocal`) among those no
 * earlier store took, writes one copy per mailbox ({@link Delivery.write}: `message.prepend` followed by
 * the message, fsynced, then moved into `new/`) and answers `250 2.0.0 Ok: delivered as <id>` when it is the
 * store that completes the message. Should a later store fail (the mail queue taking the remote recipients), the
 * pipeline undoes the copies written here, so the client's retry cannot duplicate them. A write error answers
 * `451 4.3.0`; nothing is left on disk.
 *
 * ```ts
 * Pipeline.Pipeline.layer([
 *   LocalDomains.pluginConfig,
 *   Maildir.plugin({ root: "/var/mail/cartero", isLocal: LocalDomains.isLocal })
 * ])
 * ```
 *
 * @since 0.1.0
 */
import { type Hooks, type Message, Plugin, type Session, Store } from "@cartero/core"
import { type Envelope, Verdict } from "@cartero/smtp"
import { Config, Effect } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Delivery from "./Delivery.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "maildir"

/** Decides whether an accepted recipient is delivered here (e.g. `LocalDomains.isLocal`). */
export type IsLocal = (transaction: Session.Transaction, recipient: Envelope.Recipient) => Effect.Effect<boolean>

/** Options of {@link plugin}. */
export interface Options {
  /** The Maildir root; created (mode 0700) when the pipeline is built. Relative paths resolve against the cwd. */
  readonly root: string
  /** Which recipients are local. */
  readonly isLocal: IsLocal
  /** Host name used in file names; default `os.hostname()`. */
  readonly hostname?: string | undefined
}

interface Receipt {
  readonly transaction: Session.Transaction
  readonly delivery: Delivery.Delivery
}

/** The hooks for a root that exists. */
export const hooks = (options: Options): Hooks.Hooks => ({
  queue: Store.make<Receipt>({
    takes: options.isLocal,
    prepare: (transaction, recipients) =>
      Effect.sync(() => ({
        transaction,
        delivery: Delivery.prepare({ root: options.root, hostname: options.hostname }, recipients.map((r) => r.address))
      })),
    // Runs per message: untraced (Effect.fn made a span and captured two stacks per call; docs/benchmarks.md,
    // "Profile and optimisations").
    write: Effect.fnUntraced(function*({ delivery, transaction }: Receipt, message: Message.Message) {
      const paths = yield* Delivery.write(delivery, message.prepend, message.data)
      yield* Effect.logInfo("stored in Maildir").pipe(
        Effect.annotateLogs({ txn: transaction.id, mailboxes: delivery.mailboxes.length, files: paths.length })
      )
      return Verdict.accept({ enhanced: "2.0.0", text: `Ok: delivered as ${transaction.id}` })
    }),
    undo: ({ delivery }) => Delivery.undo(delivery),
    // Final delivery: a DSN success notice for these recipients says `delivered` (`@cartero/delivery` DeliveredNotice).
    mailbox: true
  })
})

/** The plugin, configured in code. Building it creates the root directory, or fails with a `MaildirError`. */
export const plugin = (options: Options): Plugin.Plugin<Delivery.MaildirError> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const root = Path.resolve(options.root)
      yield* Effect.tryPromise({
        try: () => Fs.mkdir(root, { recursive: true, mode: 0o700 }),
        catch: (cause) => new Delivery.MaildirError({ operation: "mkdir", path: root, cause })
      })
      yield* Effect.logDebug("Maildir root ready").pipe(Effect.annotateLogs({ root }))
      return hooks({ ...options, root })
    })
  )

/**
 * The Maildir root from the environment: `CARTERO_MAILDIR_ROOT`, else `<CARTERO_DATA_DIR>/mail`, with
 * `CARTERO_DATA_DIR` defaulting to `./data`.
 */
export const rootConfig: Config.Config<string> = Config.String("CARTERO_MAILDIR_ROOT").pipe(
  Config.orElse(() =>
    Config.String("CARTERO_DATA_DIR").pipe(Config.withDefault("./data"), Config.map((dir) => Path.join(dir, "mail")))
  )
)

/** The plugin with its root read from the environment (see {@link rootConfig}) when the pipeline is built. */
export const pluginConfig = (
  options: Omit<Options, "root">
): Plugin.Plugin<Delivery.MaildirError | Config.ConfigError> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      const root = yield* rootConfig
      return yield* plugin({ ...options, root }).build
    })
  )
