/**
 * Who the filtering plugins leave alone, and the client address as DNS checks want it.
 *
 * Mail from an authenticated user or a trusted client (a trusted listener, see `Session.Connection.trusted`) is
 * our own users' outbound mail: checking its SPF against the Internet's view of the sender, or greylisting it,
 * only delays our users. Every filtering plugin skips it unless told otherwise.
 *
 * @since 0.1.0
 */
import type { Session } from "@cartero/core"

/** Whether the connection is our own users' (authenticated, or a trusted client). */
export const isExempt = (connection: Session.Connection): boolean => connection.user !== undefined || connection.trusted

/** The client IP address without the IPv4-mapped IPv6 prefix (`::ffff:192.0.2.1` → `192.0.2.1`). */
export const ip = (connection: Session.Connection): string => unmapped(connection.remoteAddress)

/** `::ffff:a.b.c.d` → `a.b.c.d`; any other address unchanged. */
export const unmapped = (address: string): string =>
  /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address
