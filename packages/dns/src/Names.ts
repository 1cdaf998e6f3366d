/**
 * Domain-name helpers: the normal form used for questions and cache keys, and reverse (PTR) names.
 *
 * Names are expected in ASCII (A-label) form; converting an internationalised domain is the caller's job
 * (`@cartero/smtp` Address does it), because the DNS itself only knows octets.
 *
 * @since 0.1.0
 */
import * as net from "node:net"

/** Lower-cased, without a trailing dot; the root stays `"."`. */
export const normalize = (name: string): string => {
  const lower = name.trim().toLowerCase()
  return lower === "." || lower === "" ? "." : lower.replace(/\.$/, "")
}

/** Expands an IPv6 address to its 8 groups of 4 hex digits (handles `::` and an embedded IPv4 tail). */
const expandIpv6 = (ip: string): Array<string> => {
  let s = ip.toLowerCase()
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s)
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number)
    s = s.slice(0, v4.index) + `${(((a ?? 0) << 8) | (b ?? 0)).toString(16)}:${(((c ?? 0) << 8) | (d ?? 0)).toString(16)}`
  }
  const [head = "", tail] = s.split("::")
  const left = head === "" ? [] : head.split(":")
  const right = tail === undefined || tail === "" ? [] : tail.split(":")
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => "0")
  return [...left, ...zeros, ...right].map((g) => g.padStart(4, "0"))
}

/**
 * The PTR question name for an IP address (`1.0.0.127.in-addr.arpa`, RFC 1035 §3.5; nibbles under `ip6.arpa`,
 * RFC 3596 §2.5), or `undefined` when `ip` is not an address.
 */
export const reverseName = (ip: string): string | undefined => {
  switch (net.isIP(ip)) {
    case 4:
      return `${ip.split(".").reverse().join(".")}.in-addr.arpa`
    case 6:
      return `${expandIpv6(ip).join("").split("").reverse().join(".")}.ip6.arpa`
    default:
      return undefined
  }
}

/**
 * The address a PTR question name stands for (the inverse of {@link reverseName}), or `undefined` when `name` is
 * not a complete `in-addr.arpa` / `ip6.arpa` name. Libraries that build reverse names themselves (mailauth's SPF
 * `ptr` mechanism) hand us the name; the resolver wants the address.
 */
export const fromReverseName = (name: string): string | undefined => {
  const labels = normalize(name).split(".")
  const tail = labels.slice(-2).join(".")
  const body = labels.slice(0, -2).reverse()
  if (tail === "in-addr.arpa") {
    const ip = body.join(".")
    return body.length === 4 && net.isIP(ip) === 4 ? ip : undefined
  }
  if (tail === "ip6.arpa") {
    if (body.length !== 32 || !body.every((n) => /^[0-9a-f]$/.test(n))) return undefined
    const groups: Array<string> = []
    for (let i = 0; i < 32; i += 4) groups.push(body.slice(i, i + 4).join(""))
    return groups.join(":")
  }
  return undefined
}
