/**
 * The streaming MIME parser (RFC 5322, RFC 2045-2049).
 *
 * A push state machine: bytes go in by chunks ({@link make} → `write` → `end`), a {@link Part.Part} tree comes out.
 * Body bytes are never buffered beyond one chunk: boundaries are found with a native `indexOf("\n--")`, and each
 * leaf body goes straight into an incremental decoder (or only into a byte counter when parsing structure only),
 * so a large attachment is held once, decoded, or not at all. Malformed input produces defects, never exceptions,
 * and every step is linear in the input: each byte is scanned a bounded number of times (the boundary check per
 * `\n--` hit is bounded by {@link Options.maxDepth}).
 *
 * @since 0.1.0
 */
import { Effect, Stream } from "effect"
import { Machine } from "./internal/machine.ts"
import { parseWhole } from "./internal/structure.ts"
import type * as Part from "./Part.ts"

/** Parser options. */
export interface Options {
  /** `"decode"` (default) decodes leaf bodies; `"none"` records structure and sizes only. */
  readonly bodies?: "decode" | "none"
  /** Deepest nesting of multiparts and encapsulated messages; deeper containers become opaque leaves. Default 256. */
  readonly maxDepth?: number
  /**
   * Receives each leaf's decoded content chunk by chunk, in order, as it is parsed; bodies are then not kept in
   * the tree (`body` stays undefined). For storing large attachments without ever holding them whole. The part
   * passed has its headers, but its sizes are final only once the parse has ended.
   */
  readonly onBody?: (part: Part.Part, chunk: Uint8Array) => void
}

/** An incremental parser. `write` chunks in order, then `end` once to get the tree. */
export interface PushParser {
  write(chunk: Uint8Array): void
  end(): Part.Part
}

/** Creates an incremental parser. */
export const make = (options?: Options): PushParser => new Machine(options)

/** Parses a whole message held in memory. Synchronous; never throws on malformed input. */
export const parse = (message: Uint8Array | string, options?: Options): Part.Part => {
  // The whole message is the caller's: header blocks read lazily may stay views of it.
  const parser = new Machine(options, true)
  parser.write(typeof message === "string" ? Buffer.from(message, "utf8") : message)
  return parser.end()
}

/**
 * Parses headers, part boundaries and sizes only, without decoding any body. Header blocks are found and checked
 * at once but their fields and Content-* values are built when first read (a multipart's boundary and an
 * encapsulated message's transfer encoding are read at once, from the bytes when they are plain), from `message`
 * itself: keep it unchanged while using the tree. The result is the same as parsing eagerly.
 */
export const parseStructure = (message: Uint8Array | string): Part.Part =>
  parseWhole(typeof message === "string" ? Buffer.from(message, "utf8") : Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength))

/** Parses a message arriving as a stream of chunks, with memory bounded by the largest decoded body. */
export const parseStream = Effect.fn("Parser.parseStream")(function*<E, R>(stream: Stream.Stream<Uint8Array, E, R>, options?: Options) {
  const parser = new Machine(options)
  yield* Stream.runForEach(stream, (chunk) => Effect.sync(() => parser.write(chunk)))
  return parser.end()
})

