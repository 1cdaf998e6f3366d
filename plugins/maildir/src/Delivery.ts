/**
 * Delivery into Maildirs in the three steps of core's store protocol: `prepare → write → (undo)`.
 *
 * - {@link prepare} names the mailboxes of the recipients, writing nothing; the same mailbox twice (e.g. `Alice@`
 *   and `alice@`) gets one copy.
 * - {@link write} creates each mailbox (`tmp`, `new`, `cur`, mode 0700) when needed, writes the message into
 *   `tmp/` of each (the prepended header lines, then the raw message, as two buffers of one `writev`, never
 *   concatenated into a third buffer) and `fsync`s it; only then renames every copy into `new/` (atomic within a
 *   file system) and `fsync`s `new/`, so the directory entries are durable before the SMTP `250` goes out.
 * - {@link undo} removes every file the delivery created or may have created, in `tmp/` and in `new/`. It first
 *   waits for a file-system call still in flight (a `write` cut short by a timeout leaves its last call running),
 *   so a rename that completes late cannot leave a copy behind. It never fails (problems are logged) and may run
 *   any number of times.
 *
 * {@link deliver} runs the steps for callers outside the plugin pipeline: undo unless the write succeeded.
 *
 * @since 0.1.0
 */
import { Message } from "@cartero/core"
import type { Address } from "@cartero/smtp"
import { Data, Effect, Exit } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import * as Mailbox from "./Mailbox.ts"
import * as UniqueName from "./UniqueName.ts"

/** The file-system step that failed. */
export type Operation = "mkdir" | "write" | "fsync" | "rename"

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

/** Options of {@link prepare}. */
export interface Options {
  /** The Maildir root: mailboxes are `<root>/<domain>/<local>/Maildir`. */
  readonly root: string
  /** Host name used in file names; default `os.hostname()`. */
  readonly hostname?: string | undefined
}

interface File {
  readonly tmp: string
  readonly new: string
}

/** One message's delivery to some mailboxes: what {@link write} writes and {@link undo} removes. */
export interface Delivery {
  readonly hostname: string | undefined
  /** The mailbox directories, one per distinct mailbox. */
  readonly mailboxes: ReadonlyArray<string>
  /** Files named so far (each possibly in `tmp/` or `new/`). */
  readonly files: Array<File>
  /** The file-system call in progress, if any. */
  inFlight: Promise<unknown> | undefined
}

/** Names the mailboxes of `recipients` under the root. No I/O. */
export const prepare = (options: Options, recipients: ReadonlyArray<Address.Address>): Delivery => {
  const root = Path.resolve(options.root)
  const mailboxes: Array<string> = []
  for (const recipient of recipients) {
    const mailbox = Mailbox.dir(root, recipient)
    if (!mailboxes.includes(mailbox)) mailboxes.push(mailbox)
  }
  return { hostname: options.hostname, mailboxes, files: [], inFlight: undefined }
}

/** Runs one file-system call, remembered as in flight until it settles (see {@link undo}). */
const attempt = <A>(delivery: Delivery, operation: Operation, path: string, run: () => Promise<A>): Effect.Effect<A, MaildirError> =>
  Effect.tryPromise({
    try: () => {
      const promise = run()
      delivery.inFlight = promise
      return promise
    },
    catch: (cause) => new MaildirError({ operation, path, cause })
  })

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

/** Copy buffer size for a spilled message. */
const copyChunk = 256 * 1024

/**
 * Appends the file at `source`, from octet `start` on, to `file`, a chunk at a time (a spilled message is never
 * read whole into memory).
 */
const copyFrom = async (file: Fs.FileHandle, source: string, start: number): Promise<void> => {
  const input = await Fs.open(source, "r")
  try {
    const buffer = Buffer.allocUnsafe(copyChunk)
    let position = start
    for (;;) {
      const { bytesRead } = await input.read(buffer, 0, copyChunk, position)
      if (bytesRead === 0) return
      position += bytesRead
      await writeAll(file, [buffer.subarray(0, bytesRead)])
    }
  } finally {
    await input.close().catch(() => undefined)
  }
}

/**
 * Creates, writes, fsyncs and closes one file in `tmp/` (0600, exclusively: a name collision fails): the header
 * lines, then the message from memory or from its spill file.
 */
const writeFile = async (path: string, head: Uint8Array, data: Message.Data): Promise<void> => {
  const file = await Fs.open(path, "wx", 0o600)
  try {
    if (data._tag === "InMemory") await writeAll(file, [head, data.bytes])
    else {
      // An edited header block (header fields removed) stands for the spill file's first octets.
      await writeAll(file, data.head === undefined ? [head] : [head, data.head.bytes])
      await copyFrom(file, data.path, data.head?.replaces ?? 0)
    }
    await file.sync()
  } finally {
    await file.close().catch(() => undefined)
  }
}

/** fsyncs a directory, so that a rename into it survives a crash. */
const syncDir = async (dir: string): Promise<void> => {
  const handle = await Fs.open(dir, "r")
  try {
    await handle.sync()
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/**
 * Writes the message (`prepend`, then the message: bytes, or a spilled message's file) into `tmp/` of every mailbox, then moves every copy into `new/`:
 * readers see nothing before every copy is written. Returns the final paths.
 */
export const write = Effect.fnUntraced(function*(delivery: Delivery, prepend: string, message: Uint8Array | Message.Data) {
  const data: Message.Data = message instanceof Uint8Array ? { _tag: "InMemory", bytes: message } : message
  const head = Buffer.from(prepend, "utf8")
  const size = head.length + Message.sizeOf(data)
  for (const mailbox of delivery.mailboxes) {
    for (const sub of ["tmp", "new", "cur"]) {
      const dir = Path.join(mailbox, sub)
      yield* attempt(delivery, "mkdir", dir, () => Fs.mkdir(dir, { recursive: true, mode: 0o700 }))
    }
    const name = yield* UniqueName.make(size, delivery.hostname)
    const file: File = { tmp: Path.join(mailbox, "tmp", name), new: Path.join(mailbox, "new", name) }
    delivery.files.push(file)
    yield* attempt(delivery, "write", file.tmp, () => writeFile(file.tmp, head, data))
  }
  for (const file of delivery.files) {
    yield* attempt(delivery, "rename", file.new, () => Fs.rename(file.tmp, file.new))
    const dir = Path.dirname(file.new)
    yield* attempt(delivery, "fsync", dir, () => syncDir(dir))
  }
  return delivery.files.map((file) => file.new) as ReadonlyArray<string>
})

const removeQuietly = (path: string) =>
  Effect.promise(() => Fs.rm(path, { force: true })).pipe(
    Effect.catchCause((cause) => Effect.logWarning("Maildir undo could not remove a file", cause)),
    Effect.annotateLogs({ path })
  )

/** Removes every file the delivery created or may have created. Never fails; idempotent. */
export const undo = (delivery: Delivery): Effect.Effect<void> =>
  Effect.promise(() => Promise.resolve(delivery.inFlight).catch(() => undefined)).pipe(
    Effect.andThen(Effect.forEach(delivery.files, (file) => Effect.andThen(removeQuietly(file.tmp), removeQuietly(file.new)), {
      discard: true
    })),
    Effect.withSpan("Maildir.undo")
  )

/**
 * Delivers one message to the mailboxes of `recipients`, all or nothing. Returns the paths of the new files.
 * `prepend` (rendered header lines) is stored before the message (bytes, or a spilled message's file).
 */
export const deliver = (
  options: Options,
  recipients: ReadonlyArray<Address.Address>,
  prepend: string,
  message: Uint8Array | Message.Data
): Effect.Effect<ReadonlyArray<string>, MaildirError> =>
  Effect.acquireUseRelease(
    Effect.sync(() => prepare(options, recipients)),
    (delivery) => write(delivery, prepend, message),
    (delivery, exit) => (Exit.isSuccess(exit) ? Effect.void : undo(delivery))
  )
