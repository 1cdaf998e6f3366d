/**
 * The DNS names a blocklist is asked about.
 *
 * - An IPv4 client `192.0.2.1` is looked up as `1.2.0.192.<zone>` (octets reversed, RFC 5782 §2.1).
 * - An IPv6 client is looked up by its 32 nibbles, reversed, one label each (RFC 5782 §2.4):
 *   `2001:db8::1` → `1.0.0.0.…8.b.d.0.1.0.0.2.<zone>`.
 * - An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack listener reports for an IPv4 client) is the
 *   IPv4 client: asking an IPv6 list about the mapped form finds nothing, and would let every listed IPv4 sender
 *   through once the server binds `::`.
 * - A domain `example.com` is looked up as `example.com.<zone>` (RFC 5782 §2.3).
 *
 * @since 0.1.0
 */
import { Cidr } from "@cartero/plugin-local-domains"

/** A client address, parsed: the family it is looked up as, and its canonical text (for replies and logs). */
export interface Client {
  readonly family: 4 | 6
  readonly value: bigint
  /** `192.0.2.1` (also for a mapped `::ffff:192.0.2.1`), or the IPv6 address as the socket reported it. */
  readonly text: string
}

/** Parses a socket's remote address; mapped IPv4 becomes IPv4. `undefined` when it is not an address. */
export const client = (address: string): Client | undefined => {
  const ip = Cidr.parseIp(address)
  if (ip === undefined) return undefined
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) {
    const v4 = ip.value & 0xffffffffn
    return { family: 4, value: v4, text: formatV4(v4) }
  }
  return { family: ip.family, value: ip.value, text: ip.family === 4 ? formatV4(ip.value) : address.trim().toLowerCase() }
}

const formatV4 = (value: bigint): string => [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join(".")

/** The reversed labels of the client (without the zone): `1.2.0.192`, or 32 nibbles for IPv6. */
export const reversed = (ip: Client): string => {
  if (ip.family === 4) return formatV4(ip.value).split(".").reverse().join(".")
  return ip.value.toString(16).padStart(32, "0").split("").reverse().join(".")
}

/** The name to ask `zone` about the client. */
export const forClient = (ip: Client, zone: string): string => `${reversed(ip)}.${zone}`

/** The name to ask `zone` about a domain. */
export const forDomain = (domain: string, zone: string): string => `${domain}.${zone}`

const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/

/**
 * A domain worth asking a domain list about: lower-cased, without a trailing dot, at least two labels of letters,
 * digits and hyphens (address literals, bare words and names with other characters are not), and short enough to
 * fit under the zone in 253 octets. `undefined` otherwise.
 */
export const domain = (raw: string, zone: string): string | undefined => {
  const name = raw.trim().toLowerCase().replace(/\.$/, "")
  const labels = name.split(".")
  if (labels.length < 2 || !labels.every((l) => label.test(l))) return undefined
  if (/^\d+$/.test(labels[labels.length - 1] ?? "")) return undefined // a dotted quad is not a domain
  return name.length + 1 + zone.length <= 253 ? name : undefined
}

/**
 * The names to ask about a host name: the name itself and, when it has more labels, its last two
 * (`mail.spam.example` → `mail.spam.example`, `spam.example`). Domain lists list registered domains and single
 * hosts alike; without a public-suffix list the two-label parent is the closest guess at the registered domain
 * (for `host.example.co.uk` it asks about `co.uk`, which no list lists: one wasted, cached query).
 */
export const withParent = (name: string): ReadonlyArray<string> => {
  const labels = name.split(".")
  return labels.length > 2 ? [name, labels.slice(-2).join(".")] : [name]
}
