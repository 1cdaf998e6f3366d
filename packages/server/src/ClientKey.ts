/**
 * The key the per-client limits count under: one IPv4 address, or one IPv6 /64 network.
 *
 * An IPv6 end site usually gets a /64 (or more) and can pick any of its 2^64 addresses for each connection, so
 * counting IPv6 clients per address would let one host open unlimited connections. A /64 is what one host or one
 * LAN controls (RFC 6177); Postfix 3.8 added the same grouping (`smtpd_client_ipv6_prefix_length`, /84 there).
 * IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 peer) are their
 * IPv4 address, so the same client counts once whichever socket it reached.
 *
 * @since 0.1.0
 */
import * as net from "node:net"

const mappedDotted = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i
const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part becomes two groups). */
const groupsOf = (address: string): ReadonlyArray<number> | undefined => {
  let text = address
  const lastColon = text.lastIndexOf(":")
  const tail = text.slice(lastColon + 1)
  if (tail.includes(".")) {
    const octets = tail.split(".").map(Number)
    const [a = 0, b = 0, c = 0, d = 0] = octets
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const halves = text.split("::")
  const head = halves[0] === "" || halves[0] === undefined ? [] : halves[0].split(":")
  const rest = halves.length > 1 ? (halves[1] === "" || halves[1] === undefined ? [] : halves[1].split(":")) : []
  const missing = 8 - head.length - rest.length
  if (halves.length > 2 || missing < 0 || (halves.length === 1 && missing !== 0)) return undefined
  return [...head, ...Array.from({ length: missing }, () => "0"), ...rest].map((g) => parseInt(g, 16))
}

/**
 * The client key of a remote address: the IPv4 address itself (also for IPv4-mapped IPv6), `<first four groups>::/64`
 * for IPv6, and the text itself for anything else (a Unix socket path, an empty string): never throws.
 */
export const of = (remoteAddress: string): string => {
  const address = remoteAddress.trim().replace(/%.*$/, "")
  if (net.isIPv4(address)) return address
  const dotted = mappedDotted.exec(address)
  if (dotted?.[1] !== undefined && net.isIPv4(dotted[1])) return dotted[1]
  if (!net.isIPv6(address)) return address
  const hex = mappedHex.exec(address)
  if (hex?.[1] !== undefined && hex[2] !== undefined) {
    const high = parseInt(hex[1], 16)
    const low = parseInt(hex[2], 16)
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`
  }
  const groups = groupsOf(address)
  if (groups === undefined) return address.toLowerCase()
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`
}
