/**
 * Host names of the links in a message, for domain lists (Spamhaus DBL, SURBL, URIBL check the domains a spam
 * advertises). Bounded on purpose: the scan reads at most `maxBytes` of the message, and returns at most
 * `maxDomains` distinct names, in order of appearance, so a message with ten thousand links costs ten lookups.
 *
 * What is found: `http://` and `https://` URIs and bare `www.` names, in the text as sent, after undoing
 * quoted-printable soft line breaks and `=3D` (so `href=3D"https://spam.example/"` is seen). Base64 parts are not
 * decoded: a bounded plain scan catches the common case without a MIME parser on the hot path.
 *
 * @since 0.1.0
 */
import { Message } from "@cartero/core"
import { Effect, Stream } from "effect"

const uri = /\bhttps?:\/\/([a-z0-9.-]+)|\b(www\.[a-z0-9.-]+)/gi

/** The host names in a text, distinct and lower-cased, at most `maxDomains`. */
export const fromText = (text: string, maxDomains: number): ReadonlyArray<string> => {
  const decoded = text.replace(/=\r?\n/g, "").replace(/=3D/gi, "=")
  const out: Array<string> = []
  for (const m of decoded.matchAll(uri)) {
    const host = (m[1] ?? m[2] ?? "").toLowerCase().replace(/\.+$/, "")
    if (host !== "" && !out.includes(host)) out.push(host)
    if (out.length >= maxDomains) break
  }
  return out
}

/** The first `maxBytes` of the message as latin1 text (every octet one character, nothing fails to decode). */
export const head = (message: Message.Message, maxBytes: number): Effect.Effect<string, Message.MessageReadError> =>
  Effect.suspend(() => {
    const parts: Array<string> = []
    let size = 0
    return Message.stream(message).pipe(
      Stream.runForEachWhile((chunk) =>
        Effect.sync(() => {
          const take = chunk.subarray(0, maxBytes - size)
          parts.push(Buffer.from(take.buffer, take.byteOffset, take.byteLength).toString("latin1"))
          size += take.length
          return size < maxBytes
        })
      ),
      Effect.map(() => parts.join(""))
    )
  })

/** The link host names of a message (bounded scan). */
export const fromMessage = (message: Message.Message, maxBytes: number, maxDomains: number) =>
  Effect.map(head(message, maxBytes), (text) => fromText(text, maxDomains))
