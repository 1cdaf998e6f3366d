/**
 * The `maildir` plugin: stores accepted messages for local recipients in Maildirs
 * (`<root>/<domain>/<local>/Maildir/new/<unique name>`).
 *
 * It implements the `queue` phase only and takes part in the core `Handoff`: of the recipients no earlier store
 * handled, it writes the local ones (`isLocal`) with the two-phase {@link Delivery.deliver} (`message.prepend`
 * followed by `message.raw`), marks them handled and registers their removal as the rollback; then
 * - when every recipient of the transaction is handled: `Accept` (the server may answer `250`);
 * - otherwise `Continue`, so a later store (the mail queue) takes the remote ones. Should that store fail, the
 *   pipeline rolls back: the files written here are removed, and the client's retry cannot duplicate them.
 * A write error fails the hook, and the pipeline answers `451 4.3.0`; nothing is left on disk.
 *
 * ```ts
 * Pipeline.layer([
 *   LocalDomains.pluginConfig,
 *   Maildir.plugin({ root: "/var/mail/cartero", isLocal: LocalDomains.isLocal })
 * ])
 * ```
 *
 * @since 0.1.0
 */
import { Handoff, type Hooks, type Message, Plugin, type Session } from "@cartero/core"
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

/** Removes files this delivery created, when the `queue` phase is rolled back (a later store failed). */
const removeFiles = (paths: ReadonlyArray<string>): Effect.Effect<void, Delivery.MaildirError> =>
  Effect.forEach(paths, (path) =>
    Effect.tryPromise({
      try: () => Fs.rm(path, { force: true }),
      catch: (cause) => new Delivery.MaildirError({ operation: "state", path, cause })
    }), { discard: true })

/** The hooks for a root that exists. */
export const hooks = (options: Options): Hooks.Hooks => ({
  // Runs per message: untraced (Effect.fn("Maildir.queue") made a span and captured two stacks per call;
  // docs/benchmarks.md, "Profile and optimisations").
  queue: Effect.fnUntraced(function*(transaction: Session.Transaction, message: Message.Message) {
    const pending = yield* Handoff.unhandled(transaction)
    const local = yield* Effect.filter(pending, (r) => options.isLocal(transaction, r.recipient))
    if (local.length === 0) return Verdict.next
    const paths = yield* Delivery.deliver(
      { root: options.root, hostname: options.hostname },
      local.map((r) => r.recipient.address),
      message.prepend,
      message.raw
    )
    yield* Handoff.onRollback(transaction, removeFiles(paths))
    yield* Handoff.markHandled(transaction, local.map((r) => r.index))
    const all = yield* Handoff.allHandled(transaction)
    yield* Effect.logInfo("stored in Maildir").pipe(
      Effect.annotateLogs({ txn: transaction.id, recipients: local.length, files: paths.length, handOff: !all })
    )
    return all ? Verdict.accept({ enhanced: "2.0.0", text: `Ok: delivered as ${transaction.id}` }) : Verdict.next
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
