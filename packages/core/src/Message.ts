/**
 * The message as hooks of the `data`, `message` and `queue` phases see it.
 *
 * The message is kept exactly once, as received (after the server's CRLF checks): {@link Message.data}. Small
 * messages are in memory; beyond the server's spill threshold (256 KiB by default) the message is in a temporary file
 * and only its header block stays in memory, so that many large messages at once cost memory per connection, not
 * per octet (docs/decisions/spill-to-disk.md). Read it with {@link stream} (chunk by chunk, either way) or, for a
 * message you know is small, {@link bytes}. A spilled file lives until the transaction is answered: read it inside
 * the hook.
 *
 * Headers that plugins and the server add (the `Received:` trace header, `Authentication-Results:`, …) are not
 * spliced into the message; they are kept in `prepend`, already rendered, and written before the message by whoever
 * stores or relays it. That keeps the original bytes intact (so DKIM signatures stay valid) and avoids copying a
 * large body. Fields are removed only on request (`HeaderEdits`), and then only from the header block: the server
 * builds a new header block (in memory) instead of rewriting a spilled file ({@link Spilled.head}).
 *
 * @since 0.1.0
 */
import { Data as EffectData, Effect, Stream } from "effect"
import * as Fs from "node:fs"
import * as Util from "node:util"

/** Read access to the header block (implemented by `@cartero/mime`'s parsed headers). */
export interface HeaderView {
  /** The first field's decoded value, or undefined. Names are case-insensitive. */
  readonly get: (name: string) => string | undefined
  /** All fields of that name, decoded, in order. */
  readonly getAll: (name: string) => ReadonlyArray<string>
}

/** The whole message in memory. */
export interface InMemory {
  readonly _tag: "InMemory"
  /** Header block, blank line, body; CRLF line endings. */
  readonly bytes: Uint8Array
}

/**
 * The message in a temporary file (the server's spill directory, mode 0600), removed once the transaction is
 * answered. When header fields were removed (`HeaderEdits`), the file is not rewritten: {@link Spilled.head}
 * stands for its first octets. Read it with {@link stream}, {@link bytes} and {@link sizeOf}, which apply `head`;
 * code that reads `path` itself must apply it too.
 */
export interface Spilled {
  readonly _tag: "Spilled"
  readonly path: string
  /** Octets in the file. */
  readonly size: number
  /** The message's first `replaces` octets are `bytes`, not the file's (its header block, edited). */
  readonly head?: SpilledHead | undefined
}

/** What replaces the first octets of a spill file. */
export interface SpilledHead {
  /** The octets read instead. */
  readonly bytes: Uint8Array
  /** How many octets of the file they replace (at most the file's size). */
  readonly replaces: number
}

/** Where the message's octets are. */
export type Data = InMemory | Spilled

/** A received message. */
export interface Message {
  /** Header fields of the message as received. */
  readonly headers: HeaderView
  /** Rendered header lines (each ending in CRLF) to write before the message, in order. */
  readonly prepend: string
  /** The message as received: header block, blank line, body; CRLF line endings. */
  readonly data: Data
}

/** A spilled message could not be read back (its file is gone, the disk failed). */
export class MessageReadError extends EffectData.TaggedError("MessageReadError")<{
  readonly path: string
  readonly cause: unknown
}> {
  override get message(): string {
    return `cannot read the spilled message ${this.path}: ${describe(this.cause)}`
  }
}

/** A cause as text; objects without a usable `toString` (null prototypes) are inspected rather than thrown on. */
const describe = (cause: unknown): string => {
  if (cause instanceof Error) return cause.message
  if (typeof cause === "object" && cause !== null && "message" in cause && typeof cause.message === "string") return cause.message
  try {
    return String(cause)
  } catch {
    return Util.inspect(cause, { depth: 2 })
  }
}

const encoder = new TextEncoder()

/** Chunk size when reading a spilled message. */
const readChunk = 256 * 1024

/** A message held in memory. */
export const inMemory = (headers: HeaderView, prepend: string, bytes: Uint8Array): Message => ({
  headers,
  prepend,
  data: { _tag: "InMemory", bytes }
})

/** Octets of the message's data (a spilled message's edited head counted instead of the octets it replaces). */
export const sizeOf = (data: Data): number =>
  data._tag === "InMemory"
    ? data.bytes.length
    : data.head === undefined
    ? data.size
    : data.size - data.head.replaces + data.head.bytes.length

/** Octets of the message as received (without `prepend`). */
export const dataSize = (message: Message): number => sizeOf(message.data)

/** Total size in octets of the message as it will be stored (prepended headers + the message). */
export const size = (message: Message): number => encoder.encode(message.prepend).length + dataSize(message)

/** The message as received (without `prepend`), chunk by chunk: one chunk in memory, file reads when spilled. */
export const stream = (message: Message): Stream.Stream<Uint8Array, MessageReadError> => {
  const data = message.data
  if (data._tag === "InMemory") return Stream.make(data.bytes)
  const head = data.head
  const file = Stream.fromAsyncIterable(
    Fs.createReadStream(data.path, { highWaterMark: readChunk, start: head?.replaces ?? 0 }) as AsyncIterable<Buffer>,
    (cause) => new MessageReadError({ path: data.path, cause })
  )
  return head === undefined ? file : Stream.concat(Stream.make(head.bytes), file)
}

/** The message as it will be stored: `prepend`, then the message. */
export const streamAll = (message: Message): Stream.Stream<Uint8Array, MessageReadError> =>
  message.prepend === "" ? stream(message) : Stream.concat(Stream.make(encoder.encode(message.prepend)), stream(message))

/** The message as received (without `prepend`) in one buffer: reads a spilled message into memory. */
export const bytes = (message: Message): Effect.Effect<Uint8Array, MessageReadError> => {
  const data = message.data
  if (data._tag === "InMemory") return Effect.succeed(data.bytes)
  const head = data.head
  return Effect.tryPromise({
    try: () =>
      Fs.promises.readFile(data.path).then((file): Uint8Array => {
        if (head === undefined) return file
        const rest = file.subarray(Math.min(head.replaces, file.length))
        const out = new Uint8Array(head.bytes.length + rest.length)
        out.set(head.bytes, 0)
        out.set(rest, head.bytes.length)
        return out
      }),
    catch: (cause) => new MessageReadError({ path: data.path, cause })
  })
}

/** The full message (`prepend` + the message) in one buffer. Allocates a copy: prefer {@link streamAll}. */
export const toBytes = (message: Message): Effect.Effect<Uint8Array, MessageReadError> =>
  Effect.map(bytes(message), (body) => {
    const head = encoder.encode(message.prepend)
    const out = new Uint8Array(head.length + body.length)
    out.set(head, 0)
    out.set(body, head.length)
    return out
  })
