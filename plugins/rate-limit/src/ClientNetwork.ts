/**
 * The network a client address stands for when counting: an IPv4 address is one client; an IPv6 client gets a
 * whole /64 (a home or a server usually has one, and can pick any of its 2^64 addresses: limiting per address
 * would limit nothing). An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is its IPv4 address.
 *
 * @since 0.1.0
 */
import { Cidr } from "@cartero/plugin-local-domains"

/** The key of `address` with the given prefix lengths (`undefined` for text that is not an address). */
export const of = (address: string, v4Prefix = 32, v6Prefix = 64): string | undefined => {
  const ip = Cidr.parseIp(address)
  if (ip === undefined) return undefined
  const mapped = ip.family === 6 && ip.value >> 32n === 0xffffn
  const family = mapped ? 4 : ip.family
  const value = mapped ? ip.value & 0xffffffffn : ip.value
  const width = family === 4 ? 32n : 128n
  const prefix = BigInt(family === 4 ? v4Prefix : v6Prefix)
  const network = (value >> (width - prefix)) << (width - prefix)
  const text = Cidr.format({ family, network, prefix: Number(prefix) })
  return prefix === width ? text.slice(0, text.lastIndexOf("/")) : text
}
