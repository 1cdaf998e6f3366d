/**
 * Static routes: a smarthost for everything, and per-domain next hops that bypass MX lookup (Postfix's
 * `relayhost` and `transport_maps`), e.g. "all mail for example.org goes to 10.0.0.5:2525".
 *
 * Lookup order: an exact domain entry, then a parent-domain entry written `.example.org` (matches any subdomain),
 * then the smarthost, then nothing (MX routing).
 *
 * Text forms (the environment variables of {@link DeliveryConfig}):
 * - a relay: `host`, `host:port`, `[2001:db8::1]:port` or a bare IPv6 address;
 * - routes: `example.org=relay.example.net:2525,.example.com=[10.0.0.5]:25` (comma separated).
 *
 * A relay may carry AUTH credentials (`Relay.auth`). The text forms never do: the smarthost's come from their own
 * variables (`CARTERO_SMARTHOST_USER` / `_PASSWORD`), and per-domain routes that authenticate are built in code with
 * {@link make}, since a password inside a comma-separated list would need quoting and make the list a secret.
 *
 * @since 0.1.0
 */
import * as net from "node:net"
import type { Relay } from "./Route.ts"

/** The static routing table. */
export interface StaticRoutes {
  /** Every domain without its own entry goes here when set. */
  readonly smarthost: Relay | undefined
  /** Keys are lower-case domains; a key starting with `.` matches subdomains. */
  readonly domains: ReadonlyMap<string, Relay>
}

/** No static routes: everything by MX. */
export const empty: StaticRoutes = { smarthost: undefined, domains: new Map() }

/** Builds a table. Domain keys are lower-cased. */
export const make = (options: {
  readonly smarthost?: Relay | undefined
  readonly domains?: Readonly<Record<string, Relay>> | ReadonlyMap<string, Relay> | undefined
}): StaticRoutes => {
  const entries = options.domains instanceof Map ? [...options.domains] : Object.entries(options.domains ?? {})
  return {
    smarthost: options.smarthost,
    domains: new Map(entries.map(([k, v]) => [k.toLowerCase().replace(/\.$/, ""), v]))
  }
}

/** The relay for `domain`, or `undefined` for MX routing. */
export const lookup = (routes: StaticRoutes, domain: string): Relay | undefined => {
  const d = domain.toLowerCase().replace(/\.$/, "")
  const exact = routes.domains.get(d)
  if (exact !== undefined) return exact
  // Walk up the labels: a.b.example.org tries .b.example.org, .example.org, .org.
  let rest = d
  for (let dot = rest.indexOf("."); dot >= 0; dot = rest.indexOf(".")) {
    rest = rest.slice(dot + 1)
    const parent = routes.domains.get(`.${rest}`)
    if (parent !== undefined) return parent
  }
  return routes.smarthost
}

const hostName = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i

const parsePort = (text: string): number | undefined => {
  if (!/^\d{1,5}$/.test(text)) return undefined
  const n = Number(text)
  return n >= 1 && n <= 65535 ? n : undefined
}

/**
 * Parses `host`, `host:port`, `[v6]:port`, `[v4]:port` or a bare IPv6 address. `undefined` when malformed.
 * Brackets around an IPv4 address are accepted (Postfix uses them to say "no MX lookup"; here static routes never
 * look up MX anyway).
 */
export const parseRelay = (text: string): Relay | undefined => {
  const s = text.trim()
  if (s.length === 0) return undefined
  if (net.isIPv6(s)) return { host: s }
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(s)
  if (bracket !== null) {
    const host = bracket[1] ?? ""
    if (!net.isIP(host)) return undefined
    if (bracket[2] === undefined) return { host }
    const port = parsePort(bracket[2])
    return port === undefined ? undefined : { host, port }
  }
  const colon = s.lastIndexOf(":")
  const host = colon < 0 ? s : s.slice(0, colon)
  if (!net.isIPv4(host) && !hostName.test(host)) return undefined
  if (colon < 0) return { host: host.toLowerCase() }
  const port = parsePort(s.slice(colon + 1))
  return port === undefined ? undefined : { host: host.toLowerCase(), port }
}

/** Parses `domain=relay,...`. `undefined` when any entry is malformed. */
export const parseDomains = (text: string): ReadonlyMap<string, Relay> | undefined => {
  const out = new Map<string, Relay>()
  for (const part of text.split(",")) {
    if (part.trim() === "") continue
    const eq = part.indexOf("=")
    if (eq < 0) return undefined
    const domain = part.slice(0, eq).trim().toLowerCase()
    const bare = domain.startsWith(".") ? domain.slice(1) : domain
    const relay = parseRelay(part.slice(eq + 1))
    if (relay === undefined || !hostName.test(bare)) return undefined
    out.set(domain.replace(/\.$/, ""), relay)
  }
  return out
}

/** `host:port` text of a relay (IPv6 in brackets). */
export const formatRelay = (relay: Relay): string => {
  const host = net.isIPv6(relay.host) ? `[${relay.host}]` : relay.host
  return relay.port === undefined ? host : `${host}:${relay.port}`
}
