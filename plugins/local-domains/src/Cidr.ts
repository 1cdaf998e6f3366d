/**
 * IP networks in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`, a bare address meaning one host) and membership
 * tests, for IPv4 and IPv6 alike.
 *
 * An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, which is what a dual-stack Node socket reports for an IPv4
 * client) is the same host as its IPv4 form: it matches IPv4 networks, and an IPv4 address matches the mapped
 * range of an IPv6 network such as `::ffff:0:0/96`. Getting this wrong is a classic open-relay bug (the trusted
 * `127.0.0.0/8` silently stops matching once the listener binds `::`), so it is decided here, once.
 *
 * Parsing is strict: no leading zeros in IPv4 octets (`010` is octal to some parsers), no host bits set after the
 * prefix (`10.1.2.3/8` is refused rather than silently widened: it is usually a typo).
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"

/** A network: a family, the address as an integer (IPv4: 32 bits, IPv6: 128 bits) and the prefix length. */
export interface Cidr {
  readonly family: 4 | 6
  readonly network: bigint
  readonly prefix: number
}

/** A malformed network or address. */
export class CidrError extends Data.TaggedError("CidrError")<{
  readonly input: string
  readonly detail: string
}> {
  override get message(): string {
    return `invalid network ${JSON.stringify(this.input)}: ${this.detail}`
  }
}

/** An address as an integer with its family. */
export interface Ip {
  readonly family: 4 | 6
  readonly value: bigint
}

const v4Octet = /^(?:0|[1-9]\d{0,2})$/
const v6Group = /^[0-9a-f]{1,4}$/i
const mappedPrefix = 0xffffn << 32n

/** Parses a dotted-quad IPv4 address. */
const parseV4 = (s: string): bigint | undefined => {
  const parts = s.split(".")
  if (parts.length !== 4) return undefined
  let value = 0n
  for (const p of parts) {
    if (!v4Octet.test(p) || Number(p) > 255) return undefined
    value = (value << 8n) | BigInt(p)
  }
  return value
}

/** Parses an IPv6 address (with `::` compression and an optional trailing dotted quad); zone ids are dropped. */
const parseV6 = (input: string): bigint | undefined => {
  const s = input.replace(/%.*$/, "")
  let groups: Array<string>
  const halves = s.split("::")
  if (halves.length > 2) return undefined
  const split = (h: string): Array<string> => (h === "" ? [] : h.split(":"))
  const left = split(halves[0] ?? "")
  const right = halves.length === 2 ? split(halves[1] ?? "") : []
  // A trailing dotted quad stands for the last two groups.
  const expandTail = (list: Array<string>): Array<string> | undefined => {
    const last = list[list.length - 1]
    if (last === undefined || !last.includes(".")) return list
    const v4 = parseV4(last)
    if (v4 === undefined) return undefined
    return [...list.slice(0, -1), ((v4 >> 16n) & 0xffffn).toString(16), (v4 & 0xffffn).toString(16)]
  }
  const l = halves.length === 2 ? left : expandTail(left)
  const r = halves.length === 2 ? expandTail(right) : right
  if (l === undefined || r === undefined) return undefined
  if (halves.length === 2) {
    const missing = 8 - l.length - r.length
    if (missing < 1) return undefined
    groups = [...l, ...Array.from({ length: missing }, () => "0"), ...r]
  } else {
    groups = l
  }
  if (groups.length !== 8) return undefined
  let value = 0n
  for (const g of groups) {
    if (!v6Group.test(g)) return undefined
    value = (value << 16n) | BigInt(parseInt(g, 16))
  }
  return value
}

/** Parses an IPv4 or IPv6 address (as reported by a socket; IPv6 zone ids are ignored). */
export const parseIp = (input: string): Ip | undefined => {
  const trimmed = input.trim()
  if (trimmed.includes(":")) {
    const value = parseV6(trimmed)
    return value === undefined ? undefined : { family: 6, value }
  }
  const value = parseV4(trimmed)
  return value === undefined ? undefined : { family: 4, value }
}

const bits = (family: 4 | 6): number => (family === 4 ? 32 : 128)

const mask = (family: 4 | 6, prefix: number): bigint => {
  const width = BigInt(bits(family))
  const all = (1n << width) - 1n
  return (all >> BigInt(prefix)) ^ all
}

/** Parses `address/prefix`, or a bare address (a single host: /32 or /128). */
export const parse = (input: string): Result.Result<Cidr, CidrError> => {
  const trimmed = input.trim()
  const fail = (detail: string) => Result.fail(new CidrError({ input, detail }))
  if (trimmed === "") return fail("empty")
  const slash = trimmed.indexOf("/")
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash)
  if (addressText.includes("%")) return fail("zone ids are not allowed in networks")
  const ip = parseIp(addressText)
  if (ip === undefined) return fail("not an IPv4 or IPv6 address")
  const max = bits(ip.family)
  let prefix = max
  if (slash !== -1) {
    const prefixText = trimmed.slice(slash + 1)
    if (!/^(?:0|[1-9]\d{0,2})$/.test(prefixText)) return fail("prefix length must be a decimal number")
    prefix = Number(prefixText)
    if (prefix > max) return fail(`prefix length must be at most ${max} for IPv${ip.family}`)
  }
  if ((ip.value & ~mask(ip.family, prefix)) !== 0n) {
    const network = format({ family: ip.family, network: ip.value & mask(ip.family, prefix), prefix })
    return fail(`host bits are set after the prefix (did you mean ${network}?)`)
  }
  return Result.succeed({ family: ip.family, network: ip.value, prefix })
}

/** Parses a list of networks; the first malformed entry fails the whole list. */
export const parseList = (inputs: ReadonlyArray<string>): Result.Result<ReadonlyArray<Cidr>, CidrError> => {
  const out: Array<Cidr> = []
  for (const input of inputs) {
    const cidr = parse(input)
    if (Result.isFailure(cidr)) return Result.fail(cidr.failure)
    out.push(cidr.success)
  }
  return Result.succeed(out)
}

const inNetwork = (cidr: Cidr, family: 4 | 6, value: bigint): boolean =>
  cidr.family === family && (value & mask(family, cidr.prefix)) === cidr.network

/**
 * Whether `address` (text, as a socket reports it) is inside `cidr`. IPv4-mapped IPv6 addresses are compared in
 * both forms. An unparseable address is never inside anything.
 */
export const contains = (cidr: Cidr, address: string | Ip): boolean => {
  const ip = typeof address === "string" ? parseIp(address) : address
  if (ip === undefined) return false
  if (inNetwork(cidr, ip.family, ip.value)) return true
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) return inNetwork(cidr, 4, ip.value & 0xffffffffn)
  if (ip.family === 4) return inNetwork(cidr, 6, mappedPrefix | ip.value)
  return false
}

/** Whether `address` is inside any of the networks. */
export const containsAny = (cidrs: ReadonlyArray<Cidr>, address: string): boolean => {
  const ip = parseIp(address)
  return ip !== undefined && cidrs.some((c) => contains(c, ip))
}

const formatV4 = (value: bigint): string =>
  [24n, 16n, 8n, 0n].map((shift) => ((value >> shift) & 0xffn).toString()).join(".")

const formatV6 = (value: bigint): string => {
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((value >> shift) & 0xffffn))
  // Compress the longest run of two or more zero groups (RFC 5952 §4.2).
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i]
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart === -1) return hex.join(":")
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`
}

/** Renders a network in canonical form (`10.0.0.0/8`, `2001:db8::/32`). */
export const format = (cidr: Cidr): string =>
  `${cidr.family === 4 ? formatV4(cidr.network) : formatV6(cidr.network)}/${cidr.prefix}`
