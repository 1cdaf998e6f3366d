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
 * large body.
 *
 * @since 0.1.0
 */
import { Data as EffectData, Effect, Stream } from "effect"
import * as Fs from "node:fs"

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

/** The message in a temporary file (the server's spill directory, mode 0600), removed once the transaction is answered. */
export interface Spilled {
  readonly _tag: "Spilled"
  readonly path: string
  /** Octets in the file. */
  readonly size: number
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
    return `cannot read the spilled message ${this.path}: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
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

/** Octets of the message as received (without `prepend`). */
export const dataSize = (message: Message): number =>
  message.data._tag === "InMemory" ? message.data.bytes.length : message.data.size

/** Total size in octets of the message as it will be stored (prepended headers + the message). */
export const size = (message: Message): number => encoder.encode(message.prepend).length + dataSize(message)

/** The message as received (without `prepend`), chunk by chunk: one chunk in memory, file reads when spilled. */
export const stream = (message: Message): Stream.Stream<Uint8Array, MessageReadError> => {
  const data = message.data
  if (data._tag === "InMemory") return Stream.make(data.bytes)
  return Stream.fromAsyncIterable(
    Fs.createReadStream(data.path, { highWaterMark: readChunk }) as AsyncIterable<Buffer>,
    (cause) => new MessageReadError({ path: data.path, cause })
  )
}

/** The message as it will be stored: `prepend`, then the message. */
export const streamAll = (message: Message): Stream.Stream<Uint8Array, MessageReadError> =>
  message.prepend === "" ? stream(message) : Stream.concat(Stream.make(encoder.encode(message.prepend)), stream(message))

/** The message as received (without `prepend`) in one buffer: reads a spilled message into memory. */
export const bytes = (message: Message): Effect.Effect<Uint8Array, MessageReadError> => {
  const data = message.data
  if (data._tag === "InMemory") return Effect.succeed(data.bytes)
  return Effect.tryPromise({
    try: () => Fs.promises.readFile(data.path).then((b): Uint8Array => b),
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
