/**
 * The TXT record of a listing, made fit for an SMTP reply and a header. Blocklist zones are somebody else's data,
 * and a hostile or broken zone is normal: the text may carry control characters, CR/LF (reply or header
 * injection), non-ASCII octets, or kilobytes. What comes out is printable ASCII, single-spaced, at most
 * {@link maxLength} characters (cut with `...`), or `undefined` when nothing printable is left.
 *
 * @since 0.1.0
 */

/** Longest text kept: the reply line stays well inside RFC 5321's 512 octets with the zone and address before it. */
export const maxLength = 200

/** Sanitises the text of a TXT answer (several records are joined with a space). */
export const sanitize = (records: ReadonlyArray<string>): string | undefined => {
  const text = records.join(" ").replace(/[^\x20-\x7e]+/g, " ").replace(/\s+/g, " ").trim()
  if (text === "") return undefined
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 3).trimEnd()}...`
}
