/**
 * The `Received:` trace header this server prepends to every message it accepts (RFC 5321 §4.4).
 *
 * ```
 * Received: from client.test (unknown [127.0.0.1])
 *         (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)
 *         by mx.test with ESMTPS id 01M8B5QSP50WDFRE2GM0E5JGHG
 *         for <bob@example.test>; Thu, 26 Nov 2026 05:25:07 +0000
 * ```
 *
 * - `from` is the HELO/EHLO name, then in a comment the reverse DNS name (`unknown` when not looked up) and the IP
 *   in brackets: what the client claims next to what we saw;
 * - `with` is the RFC 3848 protocol: `SMTP`, `ESMTP`, plus `S` under TLS and `A` when authenticated;
 * - `id` is the transaction id (the queue id), so a log line and a stored message can be matched;
 * - `for <rcpt>` only when the transaction has exactly one recipient: listing several would disclose Bcc
 *   recipients to each other (Postfix does the same);
 * - every client-controlled token is reduced to a safe character set so nothing can break the field's structure.
 *
 * Folded one clause per line, as Postfix and Exim write it, so an operator reads it at a glance (a greedy fold at
 * 78 columns would split the date or the IP comment). A clause can only exceed 78 columns with a very long HELO
 * name or address; every token is capped, so no line ever comes near the 998-octet limit. A clause that would
 * still be too long is folded at its spaces by `@cartero/mime`'s `Headers.fold`.
 *
 * @since 0.1.0
 */
import { Address, type Envelope } from "@cartero/smtp"
import { Headers, MailDate } from "@cartero/mime"

/** What the header says. */
export interface ReceivedInfo {
  readonly helo: string | undefined
  readonly clientHostname: string | undefined
  readonly remoteAddress: string
  readonly hostname: string
  readonly esmtp: boolean
  readonly secure: boolean
  readonly authenticated: boolean
  /** e.g. `TLSv1.3` and the cipher name, when known. */
  readonly tls: { readonly version: string; readonly cipher: string } | undefined
  readonly id: string
  readonly recipients: ReadonlyArray<Envelope.Recipient>
  readonly date: Date
}

// A HELO argument is free text from the client (smtp-server only refuses control characters): keep what a domain,
// an address literal or a Windows machine name needs, so a `(`, `)` or `;` can never forge a clause.
const token = (s: string): string => s.replace(/[^A-Za-z0-9.\-_:[\]]/g, "?").slice(0, 255) || "?"

/** The RFC 3848 `with` keyword. */
export const protocol = (info: Pick<ReceivedInfo, "esmtp" | "secure" | "authenticated">): string =>
  `${info.esmtp ? "ESMTP" : "SMTP"}${info.esmtp && info.secure ? "S" : ""}${info.esmtp && info.authenticated ? "A" : ""}`

/** The clauses of the field value, in order. */
export const clauses = (info: ReceivedInfo): Array<string> => {
  const ip = info.remoteAddress.includes(":") ? `IPv6:${info.remoteAddress}` : info.remoteAddress
  const parts = [
    `from ${token(info.helo ?? "unknown")} (${info.clientHostname === undefined ? "unknown" : token(info.clientHostname)} [${token(ip)}])`
  ]
  if (info.tls !== undefined) parts.push(`(using ${token(info.tls.version)} with cipher ${token(info.tls.cipher)})`)
  parts.push(`by ${token(info.hostname)} with ${protocol(info)} id ${token(info.id)}`)
  const only = info.recipients.length === 1 ? info.recipients[0] : undefined
  if (only !== undefined) {
    // A quoted local part may contain spaces or ';': reduce it rather than let it end the clause.
    parts.push(`for ${Address.formatPath(only.address).replace(/[\s;()\\]/g, "_")}`)
  }
  // The date follows the last clause after ";", on the same line when it fits.
  const date = MailDate.format(info.date)
  const last = parts.length - 1
  if ((parts[last] ?? "").length + date.length + 2 <= 76) parts[last] = `${parts[last]}; ${date}`
  else parts.splice(last, 1, `${parts[last]};`, date)
  return parts
}

/** The field value, unfolded. */
export const value = (info: ReceivedInfo): string => clauses(info).join(" ")

// Folds one over-long clause at its spaces (Headers.fold needs a field name: fold with a placeholder, drop it).
const foldClause = (clause: string): string =>
  clause.length <= 76 ? clause : Headers.fold("X", clause).slice(3).replace(/\r\n$/, "").replace(/\r\n /g, "\r\n\t")

/** The rendered field, one clause per line (continuation lines start with a tab), ending in CRLF. */
export const render = (info: ReceivedInfo): string => {
  const [first = "", ...rest] = clauses(info)
  return `Received: ${foldClause(first)}${rest.map((c) => `\r\n\t${foldClause(c)}`).join("")}\r\n`
}
