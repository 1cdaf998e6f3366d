/**
 * The greylisting triplet (Postfix policy servers' and postgrey's): the client's network, the envelope sender and
 * the recipient. The client counts by network, an IPv4 /24 or an IPv6 /64, because a sending farm retries from
 * another address of the same network as often as not (postgrey's default: `--lookup-by-subnet`).
 *
 * @since 0.1.0
 */
import { Cidr } from "@cartero/plugin-local-domains"
import type { Address } from "@cartero/smtp"

/** The network of a client address: IPv4 /24, IPv6 /64 (IPv4-mapped IPv6 as IPv4); the text itself if unparsable. */
export const network = (address: string): string => {
  const ip = Cidr.parseIp(address)
  if (ip === undefined) return address
  const mapped = ip.family === 6 && ip.value >> 32n === 0xffffn
  const family = mapped ? 4 : ip.family
  const value = mapped ? ip.value & 0xffffffffn : ip.value
  const hostBits = family === 4 ? 8n : 64n
  return Cidr.format({ family, network: (value >> hostBits) << hostBits, prefix: family === 4 ? 24 : 64 })
}

/** An envelope address as a triplet part: lower case; the null sender is `<>`. */
export const address = (a: Address.Address | null): string =>
  a === null ? "<>" : `${a.localPart}@${a.domain}`.toLowerCase()

/** The triplet's key: `<network>/<sender>/<recipient>`. */
export const key = (clientAddress: string, sender: Address.Address | null, recipient: Address.Address): string =>
  `${network(clientAddress)}/${address(sender)}/${address(recipient)}`
