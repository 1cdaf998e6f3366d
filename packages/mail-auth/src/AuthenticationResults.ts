/**
 * The `Authentication-Results:` header field (RFC 8601): one per message, written by the last authentication
 * plugin of the receiving server (the DMARC plugin), naming this server by its `authserv-id` and listing each
 * method's result (`spf=pass smtp.mailfrom=…`, `dkim=pass header.d=…`, `dmarc=pass header.from=…`, `arc=none`).
 *
 * Fields that claim to come from us but arrived with the message are forgeries (a sender writing `dkim=pass` for
 * itself): RFC 8601 §5 asks a receiver to remove them before its own is added, {@link isOurs} finds them.
 *
 * @since 0.1.0
 */
import type { Header } from "@cartero/smtp"

/** The header field name. */
export const name = "Authentication-Results"

/**
 * The field for `authservId` listing `results` (mailauth's `info` strings, one per method and signature), or
 * `none` when no method ran (RFC 8601 §2.2: `authserv-id; none`).
 */
export const make = (authservId: string, results: ReadonlyArray<string>): Header.Header => ({
  name,
  value: results.length === 0 ? `${authservId}; none` : `${authservId}; ${results.map(clean).join("; ")}`
})

/** mailauth folds long `info` texts itself; we fold when rendering, so its line breaks are undone here. */
const clean = (info: string): string => info.replace(/\r?\n[ \t]*/g, " ").trim()

/**
 * The `authserv-id` of a field value: the first token before the first `;` (an optional version number after it
 * is ignored, RFC 8601 §2.2), or `undefined` for a value that has none.
 */
export const authservIdOf = (value: string): string | undefined => {
  const head = value.split(";", 1)[0]?.replace(/\([^)]*\)/g, " ").trim() ?? ""
  const id = head.split(/\s+/, 1)[0] ?? ""
  return id === "" ? undefined : id
}

/** Whether a field value claims to come from `authservId` (case-insensitively, as domain names compare). */
export const isOurs = (value: string, authservId: string): boolean =>
  authservIdOf(value)?.toLowerCase() === authservId.toLowerCase()
