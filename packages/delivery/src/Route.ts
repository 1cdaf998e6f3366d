/**
 * Where the mail for one destination domain goes: the outcome of routing (RFC 5321 §5.1).
 *
 * A route is either a list of next-hop hosts to try in order (each with its addresses, already resolved), or a
 * decision that no delivery attempt should be made: `Bounce` (permanent: null MX, NXDOMAIN, a mail loop) or `Defer`
 * (temporary: SERVFAIL, timeout, MX hosts without addresses); or, when a `route` hook chose one, a
 * {@link Transport.Transport} other than SMTP (LMTP, a webhook). The delivery worker never has to look at DNS errors:
 * every routing outcome is one of these values, with the reply to record for the recipients.
 *
 * @since 0.1.0
 */
import { SmtpReply } from "@cartero/smtp"
import type * as Auth from "./Auth.ts"
import type * as TlsPolicy from "./TlsPolicy.ts"
import type * as Transport from "./Transport.ts"

/** Where a host came from: an MX record, the implicit MX (the domain's own A/AAAA), a static route or a plugin. */
export type Source = "mx" | "implicit" | "literal" | "static" | "plugin"

/** One next hop. */
export interface Host {
  /** The host name (the MX exchange, the smarthost name) or the address literal; used for TLS SNI, logs, DSNs. */
  readonly name: string
  /** MX preference (0 for static routes and literals). */
  readonly preference: number
  /** Addresses to try in order (IPv6/IPv4 per the configured preference). Never empty. */
  readonly addresses: ReadonlyArray<string>
  readonly port: number
  /** TLS policy for this hop; `undefined` = the worker's default. */
  readonly tls: TlsPolicy.TlsPolicy | undefined
  readonly source: Source
  /** Credentials for AUTH at this hop (a smarthost, a static route, a plugin's relay); never for MX hosts. */
  readonly auth?: Auth.Credentials | undefined
}

/** Try these hosts in order; the first one that gives a session decides. */
export interface Hosts {
  readonly _tag: "Hosts"
  readonly domain: string
  /** Never empty. */
  readonly hosts: ReadonlyArray<Host>
}

/** Do not try: every recipient of the domain fails with `reply` (5yz). */
export interface Bounce {
  readonly _tag: "Bounce"
  readonly domain: string
  readonly reply: SmtpReply.SmtpReply
}

/** Do not try now: every recipient of the domain is deferred with `reply` (4yz), per the retry policy. */
export interface Defer {
  readonly _tag: "Defer"
  readonly domain: string
  readonly reply: SmtpReply.SmtpReply
}

/** Deliver through `transport` instead of SMTP. */
export interface Via {
  readonly _tag: "Via"
  readonly domain: string
  readonly transport: Transport.Transport
}

/** The route of one destination domain. */
export type Route = Hosts | Bounce | Defer | Via

/** An unresolved next hop, as configured (smarthost, static route) or chosen by a `route` hook. */
export interface Relay {
  /** A host name or an IP address (IPv6 without brackets). */
  readonly host: string
  /** Default: the configured outbound port. */
  readonly port?: number | undefined
  readonly tls?: TlsPolicy.TlsPolicy | undefined
  /** Authenticate at this relay (RFC 4954); over TLS only unless `allowPlaintextAuth`. */
  readonly auth?: Auth.Credentials | undefined
}

/** A route trying `hosts`. */
export const hosts = (domain: string, list: ReadonlyArray<Host>): Hosts => ({ _tag: "Hosts", domain, hosts: list })

/** A permanent routing failure: every recipient of `domain` fails with `reply` (a 5yz from `Replies`, or a hook's). */
export const bounce = (domain: string, reply: SmtpReply.SmtpReply): Bounce => ({ _tag: "Bounce", domain, reply })

/** A temporary routing failure: every recipient of `domain` is deferred with `reply` (a 4yz from `Replies`, or a hook's). */
export const defer = (domain: string, reply: SmtpReply.SmtpReply): Defer => ({ _tag: "Defer", domain, reply })

/** A route through `transport` (a `route` hook's choice). */
export const via = (domain: string, transport: Transport.Transport): Via => ({ _tag: "Via", domain, transport })

/** `host[addr]:port` list, for logs. */
export const describe = (route: Route): string =>
  route._tag === "Hosts"
    ? route.hosts.map((h) => `${h.name}(${h.preference})[${h.addresses.join(",")}]:${h.port}`).join(" ")
    : route._tag === "Via"
    ? `via ${route.transport.name}`
    : `${route._tag.toLowerCase()}: ${SmtpReply.toString(route.reply)}`
