/**
 * Two-phase delivery into Maildirs (maddy's `Delivery`): `start → addRecipient* → body → commit | abort`.
 *
 * - `addRecipient` creates the mailbox (`tmp`, `new`, `cur`, mode 0700) when needed; the same mailbox twice (e.g.
 *   `Alice@` and `alice@`) gets one copy.
 * - `body` writes the message into `tmp/` of every mailbox: the prepended header lines, then the raw message, as
 *   two buffers of one `writev` (never concatenated into a third buffer), then `fsync`s the file. Nothing is
 *   visible to readers yet.
 * - `commit` renames each file from `tmp/` to `new/` (atomic within a file system) and `fsync`s `new/`, so the
 *   directory entry is durable before the SMTP `250` goes out.
 * - `abort` removes every file this delivery created, in `tmp/` and, if a commit failed half-way, in `new/` too:
 *   a failed delivery leaves nothing behind, so the client's retry cannot produce duplicates.
 *
 * {@link deliver} runs the protocol with `Effect.acquireUseRelease`: the release aborts unless the commit
 * succeeded, also on interruption (a hook timeout).
 *
 * @since 0.1.0
 */
import type { Address } from "@cartero/smtp"
import { Data, Effect, Exit } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Mailbox from "./Mailbox.ts"
import * as UniqueName from "./UniqueName.ts"

/** The file-system step that failed. */
export type Operation = "mkdir" | "open" | "write" | "fsync" | "close" | "rename" | "state"

/** A delivery step failed. The pipeline answers `451 4.3.0`; the detail goes to the log only. */
export class MaildirError extends Data.TaggedError("MaildirError")<{
  readonly operation: Operation
  readonly path: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const reason = this.cause instanceof Error ? `: ${this.cause.message}` : ""
    return `Maildir ${this.operation} failed for ${this.path}${reason}`
  }
}

/** An open delivery. Methods must be called in protocol order; out-of-order calls fail with `state`. */
export interface Delivery {
  readonly addRecipient: (address: Address.Address) => Effect.Effect<void, MaildirError>
  readonly body: (prepend: string, raw: Uint8Array) => Effect.Effect<void, MaildirError>
  /** Makes the message visible; returns the final paths in `new/`. */
  readonly commit: Effect.Effect<ReadonlyArray<string>, MaildirError>
  /** Removes everything this delivery wrote. Never fails (problems are logged). */
  readonly abort: Effect.Effect<void>
}

/** Options of {@link start}. */
export interface Options {
  /** The Maildir root: mailboxes are `<root>/<domain>/<local>/Maildir`. */
  readonly root: string
  /** Host name used in file names; default `os.hostname()`. */
  readonly hostname?: string | undefined
}

const attempt = <A>(operation: Operation, path: string, run: () => Promise<A>): Effect.Effect<A, MaildirError> =>
  Effect.tryPromise({ try: run, catch: (cause) => new MaildirError({ operation, path, cause }) })

/** Writes every buffer completely (a `writev` may write less than asked), without copying them. */
const writeAll = async (file: Fs.FileHandle, buffers: ReadonlyArray<Uint8Array>): Promise<void> => {
  let pending = buffers.filter((b) => b.length > 0)
  while (pending.length > 0) {
    let { bytesWritten } = await file.writev(pending)
    const rest: Array<Uint8Array> = []
    for (const b of pending) {
      if (bytesWritten >= b.length) bytesWritten -= b.length
      else {
        rest.push(bytesWritten === 0 ? b : b.subarray(bytesWritten))
        bytesWritten = 0
      }
    }
    pending = rest
  }
}

/** Writes one file in `tmp/`: create exclusively (0600), write, fsync, close (also on failure). */
const writeFile = (path: string, buffers: ReadonlyArray<Uint8Array>, created: () => void) =>
  Effect.acquireUseRelease(
    attempt("open", path, () => Fs.open(path, "wx", 0o600)).pipe(Effect.tap(() => Effect.sync(created))),
    (file) =>
      attempt("write", path, () => writeAll(file, buffers)).pipe(
        Effect.andThen(attempt("fsync", path, () => file.sync()))
      ),
    (file) => Effect.promise(() => file.close().catch(() => undefined))
  )

/** fsyncs a directory, so that a rename into it survives a crash. */
const syncDir = (dir: string) =>
  Effect.acquireUseRelease(
    attempt("open", dir, () => Fs.open(dir, "r")),
    (handle) => attempt("fsync", dir, () => handle.sync()),
    (handle) => Effect.promise(() => handle.close().catch(() => undefined))
  )

const removeQuietly = (path: string) =>
  Effect.promise(() => Fs.rm(path, { force: true })).pipe(
    Effect.catchCause((cause) => Effect.logWarning("Maildir abort could not remove a file", cause)),
    Effect.annotateLogs({ path })
  )

interface File {
  readonly mailbox: string
  readonly name: string
  /** Where the file is now (tmp or new), once created; undefined before. */
  location: string | undefined
}

/** Starts a delivery. No I/O happens until {@link Delivery.addRecipient}. */
export const start = (options: Options): Effect.Effect<Delivery> =>
  Effect.sync(() => {
    const root = Path.resolve(options.root)
    const mailboxes: Array<string> = []
    const files: Array<File> = []
    let phase: "recipients" | "body" | "committed" | "aborted" = "recipients"
    const expect = (wanted: typeof phase, what: string) =>
      phase === wanted ? Effect.void : Effect.fail(new MaildirError({ operation: "state", path: `${what} in phase ${phase}` }))

    const addRecipient = Effect.fn("Maildir.addRecipient")(function*(address: Address.Address) {
      yield* expect("recipients", "addRecipient")
      const mailbox = Mailbox.dir(root, address)
      if (mailboxes.includes(mailbox)) return
      for (const sub of ["tmp", "new", "cur"]) {
        yield* attempt("mkdir", Path.join(mailbox, sub), () => Fs.mkdir(Path.join(mailbox, sub), { recursive: true, mode: 0o700 }))
      }
      mailboxes.push(mailbox)
    })

    const body = Effect.fn("Maildir.body")(function*(prepend: string, raw: Uint8Array) {
      yield* expect("recipients", "body")
      phase = "body"
      const head = Buffer.from(prepend, "utf8")
      const size = head.length + raw.length
      for (const mailbox of mailboxes) {
        const file: File = { mailbox, name: yield* UniqueName.make(size, options.hostname), location: undefined }
        files.push(file)
        const tmp = Path.join(mailbox, "tmp", file.name)
        yield* writeFile(tmp, [head, raw], () => {
          file.location = tmp
        })
      }
    })

    const commit = Effect.gen(function*() {
      yield* expect("body", "commit")
      const paths: Array<string> = []
      for (const file of files) {
        const from = Path.join(file.mailbox, "tmp", file.name)
        const to = Path.join(file.mailbox, "new", file.name)
        yield* attempt("rename", to, () => Fs.rename(from, to))
        file.location = to
        yield* syncDir(Path.join(file.mailbox, "new"))
        paths.push(to)
      }
      phase = "committed"
      return paths as ReadonlyArray<string>
    }).pipe(Effect.withSpan("Maildir.commit"))

    const abort = Effect.suspend(() => {
      if (phase === "committed") return Effect.void
      phase = "aborted"
      return Effect.forEach(files, (file) => (file.location === undefined ? Effect.void : removeQuietly(file.location)), {
        discard: true
      })
    }).pipe(Effect.withSpan("Maildir.abort"))

    return { addRecipient, body, commit, abort }
  })

/**
 * Delivers one message to the mailboxes of `recipients`, all or nothing. Returns the paths of the new files.
 * `prepend` (rendered header lines) is stored before `raw`.
 */
export const deliver = (
  options: Options,
  recipients: ReadonlyArray<Address.Address>,
  prepend: string,
  raw: Uint8Array
): Effect.Effect<ReadonlyArray<string>, MaildirError> =>
  Effect.acquireUseRelease(
    start(options),
    (delivery) =>
      Effect.gen(function*() {
        for (const recipient of recipients) yield* delivery.addRecipient(recipient)
        yield* delivery.body(prepend, raw)
        return yield* delivery.commit
      }),
    (delivery, exit) => (Exit.isSuccess(exit) ? Effect.void : delivery.abort)
  )
