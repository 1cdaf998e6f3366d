/**
 * The message as hooks of the `data`, `message` and `queue` phases see it.
 *
 * The body is kept exactly once, as received (after the server's CRLF checks): `raw`. Headers that plugins and the
 * server add (the `Received:` trace header, `Authentication-Results:`, …) are not spliced into it; they are kept
 * in `prepend`, already rendered, and written before `raw` by whoever stores or relays the message. That keeps the
 * original bytes intact (so DKIM signatures stay valid) and avoids copying a large body.
 *
 * @since 0.1.0
 */

/** Read access to the header block (implemented by `@cartero/mime`'s parsed headers). */
export interface HeaderView {
  /** The first field's decoded value, or undefined. Names are case-insensitive. */
  readonly get: (name: string) => string | undefined
  /** All fields of that name, decoded, in order. */
  readonly getAll: (name: string) => ReadonlyArray<string>
}

/** A received message. */
export interface Message {
  /** Header fields of the message as received. */
  readonly headers: HeaderView
  /** Rendered header lines (each ending in CRLF) to write before `raw`, in order. */
  readonly prepend: string
  /** The message as received: header block, blank line, body; CRLF line endings. */
  readonly raw: Uint8Array
}

const encoder = new TextEncoder()

/** Total size in octets of the message as it will be stored (prepended headers + raw). */
export const size = (message: Message): number => encoder.encode(message.prepend).length + message.raw.length

/** The full message as one buffer. Allocates a copy: prefer writing `prepend` and `raw` separately. */
export const toBytes = (message: Message): Uint8Array => {
  const head = encoder.encode(message.prepend)
  const out = new Uint8Array(head.length + message.raw.length)
  out.set(head, 0)
  out.set(message.raw, head.length)
  return out
}
