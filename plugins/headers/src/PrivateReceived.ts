/**
 * The privacy form of our own `Received:` field, for submitted mail.
 *
 * The server's trace field names the submitting client: its HELO name, its IP address, the TLS cipher. For mail a
 * user sends, that discloses where the user was (home address, mobile network) to every recipient. In privacy
 * mode the plugin removes that field and adds this one instead:
 *
 * ```
 * Received: by mail.example.org (Cartero) with ESMTPSA id 01M8B5QSP50WDFRE2GM0E5JGHG;
 *         Thu, 26 Nov 2026 05:25:07 +0000
 * ```
 *
 * Never removed without a replacement: loop detection counts `Received:` fields (RFC 5321 §6.3), so every hop must
 * leave one; and the `id` still ties the message to our logs.
 *
 * @since 0.1.0
 */
import type { Session } from "@cartero/core"
import { MailDate } from "@cartero/mime"

/** The RFC 3848 `with` keyword of the session (what the server's own field says). */
export const protocol = (connection: Session.Connection): string => {
  if (!connection.esmtp) return "SMTP"
  return `ESMTP${connection.secure ? "S" : ""}${connection.user !== undefined ? "A" : ""}`
}

/** The value of the replacement field. */
export const value = (hostname: string, connection: Session.Connection, id: string, date: Date): string =>
  `by ${hostname} (Cartero) with ${protocol(connection)} id ${id}; ${MailDate.format(date)}`

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/**
 * Matches the value of the `Received:` field the server wrote for transaction `id` (its `id <transaction id>`
 * clause), and no other: a field written by an earlier hop names another id.
 */
export const isOwn = (id: string): (value: string) => boolean => {
  const pattern = new RegExp(`(?:^|\\s)id\\s+${escape(id)}(?![A-Za-z0-9])`)
  return (value) => pattern.test(value)
}
