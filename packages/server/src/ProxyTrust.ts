/**
 * The addresses a PROXY protocol header is believed from: a list of networks in CIDR notation (`10.0.0.0/8`,
 * `fd00::/8`) or single addresses (`::1`). Matching uses Node's `net.BlockList`. An IPv4-mapped IPv6 peer
 * (`::ffff:10.1.2.3`, what a dual-stack socket reports for an IPv4 client) is matched as its IPv4 address, so an
 * IPv4 network keeps matching when the listener binds `::`.
 *
 * @since 0.1.0
 */
import * as net from "node:net"

/** The trusted proxies. */
export interface ProxyTrust {
  /** Whether a connection from `address` may send a PROXY header. */
  readonly allows: (address: string) => boolean
}

const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/** Parses one entry: a bare address or `address/prefix`; `undefined` when malformed. */
export const parseEntry = (entry: string): { readonly address: string; readonly prefix: number; readonly family: "ipv4" | "ipv6" } | undefined => {
  const [address = "", prefixText, extra] = entry.trim().split("/")
  if (extra !== undefined) return undefined
  const version = net.isIP(address)
  if (version === 0) return undefined
  const family = version === 4 ? "ipv4" : "ipv6"
  const max = version === 4 ? 32 : 128
  if (prefixText !== undefined && !/^(?:0|[1-9]\d{0,2})$/.test(prefixText)) return undefined
  const prefix = prefixText === undefined ? max : Number(prefixText)
  if (prefix > max) return undefined
  return { address, prefix, family }
}

/** The entries that do not parse (empty when the list is good). */
export const invalidEntries = (entries: ReadonlyArray<string>): ReadonlyArray<string> =>
  entries.filter((e) => parseEntry(e) === undefined || !isNetworkAddress(e))

/** Whether `entry` has no host bits set beyond its prefix (`10.1.2.3/8` is usually a typo: refused, not widened). */
const isNetworkAddress = (entry: string): boolean => {
  const parsed = parseEntry(entry)
  if (parsed === undefined) return false
  const { address, prefix, family } = parsed
  const bits = family === "ipv4" ? 32 : 128
  if (prefix === bits) return true
  const value = toBigInt(address, family)
  const hostMask = (1n << BigInt(bits - prefix)) - 1n
  return (value & hostMask) === 0n
}

const toBigInt = (address: string, family: "ipv4" | "ipv6"): bigint => {
  if (family === "ipv4") return address.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n)
  const withoutV4 = address.includes(".")
    ? address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a: string, b: string, c: string, d: string) =>
      `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`)
    : address
  const [head = "", tail] = withoutV4.split("::")
  const left = head === "" ? [] : head.split(":")
  const right = tail === undefined || tail === "" ? [] : tail.split(":")
  const groups = [...left, ...Array.from({ length: 8 - left.length - right.length }, () => "0"), ...right]
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n)
}

/** The trust of a list of entries; malformed entries are skipped (check them first with {@link invalidEntries}). */
export const make = (entries: ReadonlyArray<string>): ProxyTrust => {
  const list = new net.BlockList()
  for (const entry of entries) {
    const parsed = parseEntry(entry)
    if (parsed !== undefined) list.addSubnet(parsed.address, parsed.prefix, parsed.family)
  }
  return {
    allows: (raw) => {
      const address = raw.replace(/%.*$/, "")
      const v4 = mapped.exec(address)?.[1]
      if (v4 !== undefined && net.isIPv4(v4)) return list.check(v4, "ipv4")
      const version = net.isIP(address)
      return version !== 0 && list.check(address, version === 4 ? "ipv4" : "ipv6")
    }
  }
}
