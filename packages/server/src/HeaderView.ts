/**
 * The `Message.headers` view given to `data`/`message`/`queue` hooks, over `@cartero/mime`'s header-block parser.
 *
 * Only the header block at the start of the message is parsed (the parser stops at the first empty line), so this
 * costs little even for a large message; values are returned decoded (RFC 2047), as `HeaderView` promises. It is
 * parsed on the first `get`/`getAll`: a pipeline whose plugins never read a header (a plain relay) never pays.
 *
 * @since 0.1.0
 */
import type { Message } from "@cartero/core"
import { Headers } from "@cartero/mime"

/** Parses the header block of `raw` into a `HeaderView`. */
export const fromRaw = (raw: Uint8Array): Message.HeaderView => {
  let parsed: Headers.Headers | undefined
  const headers = (): Headers.Headers => (parsed ??= Headers.parse(raw))
  return {
    get: (name) => headers().value(name),
    getAll: (name) => headers().getAll(name).map((field) => field.decoded)
  }
}
