/**
 * The PROXY protocol header (HAProxy, versions 1 and 2): what a load balancer sends first on a connection it
 * relays, to tell the server the address of the real client.
 *
 * {@link parse} looks at the bytes received so far and says: not enough yet, not a valid header (why), or the
 * header and how many bytes it took (the rest belongs to the SMTP session). It is pure and bounded:
 * - v1 (text, `PROXY TCP4 192.0.2.1 198.51.100.1 56324 25\r\n`): at most {@link maxV1Length} bytes (107, the
 *   spec's bound) including CRLF; addresses must be IP addresses of the family named, ports decimal 0-65535;
 *   `PROXY UNKNOWN …` carries no usable address;
 * - v2 (binary): the 12-byte signature, version 2, command LOCAL or PROXY, family, length; at most
 *   {@link maxV2Length} bytes in all (the protocol allows 16 + 65535; real balancers send a few hundred bytes of
 *   TLVs, which are skipped). A LOCAL header (a health check of the balancer itself) and a PROXY header of
 *   family UNSPEC or UNIX carry no client address: the caller uses the connection's own.
 *
 * @since 0.1.0
 */
import * as net from "node:net"

/** One end of the proxied connection. */
export interface Endpoint {
  readonly address: string
  readonly port: number
}

/** A parsed header. `source` is the real client, `undefined` when the header names none (LOCAL, UNKNOWN, UNSPEC). */
export interface ProxyHeader {
  readonly version: 1 | 2
  readonly command: "PROXY" | "LOCAL"
  readonly source: Endpoint | undefined
  readonly destination: Endpoint | undefined
}

/** The outcome of {@link parse}. */
export type Parsed =
  | { readonly _tag: "Incomplete" }
  | { readonly _tag: "Invalid"; readonly reason: string }
  | { readonly _tag: "Header"; readonly header: ProxyHeader; readonly length: number }

/** The longest v1 header, CRLF included (the spec's bound). */
export const maxV1Length = 107
/** The longest v2 header accepted, 16-byte preamble included (the protocol allows 16 + 65535). */
export const maxV2Length = 16 + 4080

/** The v2 signature. */
export const v2Signature = Uint8Array.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
const v1Prefix = Uint8Array.from(Buffer.from("PROXY ", "latin1"))

const incomplete: Parsed = { _tag: "Incomplete" }
const invalid = (reason: string): Parsed => ({ _tag: "Invalid", reason })

/** Whether `bytes` starts with `prefix`, or is a proper prefix of it (then more bytes may still match). */
const agrees = (bytes: Uint8Array, prefix: Uint8Array): boolean => {
  const n = Math.min(bytes.length, prefix.length)
  for (let i = 0; i < n; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

/** Parses the header at the start of `bytes` (everything received so far). */
export const parse = (bytes: Uint8Array): Parsed => {
  if (bytes.length === 0) return incomplete
  if (agrees(bytes, v2Signature)) return bytes.length < v2Signature.length ? incomplete : parseV2(bytes)
  if (agrees(bytes, v1Prefix)) return bytes.length < v1Prefix.length ? incomplete : parseV1(bytes)
  return invalid("not a PROXY protocol header")
}

const port = /^(?:0|[1-9]\d{0,4})$/

const endpoint = (address: string | undefined, portText: string | undefined, family: 4 | 6): Endpoint | undefined => {
  if (address === undefined || portText === undefined || !port.test(portText)) return undefined
  const n = Number(portText)
  if (n > 65535 || net.isIP(address) !== family || address.includes("%")) return undefined
  return { address: family === 4 ? address : ipv6(ipv6Bytes(address), 0), port: n }
}

const parseV1 = (bytes: Uint8Array): Parsed => {
  const limit = Math.min(bytes.length, maxV1Length)
  let end = -1
  for (let i = 0; i < limit; i++) {
    if (bytes[i] === 0x0a) {
      end = i
      break
    }
  }
  if (end === -1) return bytes.length >= maxV1Length ? invalid("PROXY v1 header longer than 107 bytes") : incomplete
  if (end === 0 || bytes[end - 1] !== 0x0d) return invalid("PROXY v1 header does not end with CRLF")
  const line = Buffer.from(bytes.subarray(0, end - 1)).toString("latin1")
  const parts = line.split(" ")
  const length = end + 1
  if (parts[1] === "UNKNOWN") {
    return { _tag: "Header", header: { version: 1, command: "PROXY", source: undefined, destination: undefined }, length }
  }
  if (parts.length !== 6 || (parts[1] !== "TCP4" && parts[1] !== "TCP6")) return invalid("malformed PROXY v1 header")
  const family = parts[1] === "TCP4" ? 4 : 6
  const source = endpoint(parts[2], parts[4], family)
  const destination = endpoint(parts[3], parts[5], family)
  if (source === undefined || destination === undefined) return invalid("bad address or port in PROXY v1 header")
  return { _tag: "Header", header: { version: 1, command: "PROXY", source, destination }, length }
}

const ipv4 = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`
/**
 * The text of the IPv6 address at `at`: RFC 5952's short form, or the IPv4 address itself for an IPv4-mapped one
 * (`::ffff:192.0.2.1` is that IPv4 client, and is how smtp-server and the limits see it anyway).
 */
const ipv6 = (b: Uint8Array, at: number): string => {
  const bytes = b.subarray(at, at + 16)
  if (bytes.subarray(0, 10).every((x) => x === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return ipv4(bytes, 12)
  const groups: Array<string> = []
  for (let i = 0; i < 8; i++) groups.push((((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0)).toString(16))
  return compress(groups)
}

/** The 16 bytes of a valid IPv6 address (`::` compression and a trailing dotted quad allowed). */
const ipv6Bytes = (address: string): Uint8Array => {
  let text = address.replace(/%.*$/, "")
  const lastColon = text.lastIndexOf(":")
  const tail = text.slice(lastColon + 1)
  if (tail.includes(".")) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split(".").map(Number)
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = "", rest] = text.split("::")
  const left = head === "" ? [] : head.split(":")
  const right = rest === undefined || rest === "" ? [] : rest.split(":")
  const groups = [...left, ...Array.from({ length: 8 - left.length - right.length }, () => "0"), ...right]
  return Uint8Array.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]))
}

/** RFC 5952 text: the longest run of two or more zero groups (the first of equals) becomes `::`. */
const compress = (groups: ReadonlyArray<string>): string => {
  let best = -1
  let bestLength = 1
  for (let i = 0; i < groups.length;) {
    let j = i
    while (j < groups.length && groups[j] === "0") j++
    if (j - i > bestLength) {
      best = i
      bestLength = j - i
    }
    i = j === i ? i + 1 : j
  }
  if (best === -1) return groups.join(":")
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLength).join(":")}`
}
const u16 = (b: Uint8Array, at: number): number => ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0)

const parseV2 = (bytes: Uint8Array): Parsed => {
  if (bytes.length < 16) return incomplete
  const versionCommand = bytes[12] ?? 0
  if (versionCommand >> 4 !== 2) return invalid("unsupported PROXY protocol version")
  const command = versionCommand & 0x0f
  if (command > 1) return invalid("unknown PROXY v2 command")
  const familyProtocol = bytes[13] ?? 0
  const length = 16 + u16(bytes, 14)
  if (length > maxV2Length) return invalid(`PROXY v2 header longer than ${maxV2Length} bytes`)
  const family = familyProtocol >> 4
  const protocol = familyProtocol & 0x0f
  if (family > 3 || protocol > 2) return invalid("unknown PROXY v2 address family or protocol")
  const needed = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0
  if (length - 16 < needed) return invalid("PROXY v2 address block shorter than its family")
  if (bytes.length < length) return incomplete
  if (command === 0) {
    return { _tag: "Header", header: { version: 2, command: "LOCAL", source: undefined, destination: undefined }, length }
  }
  // PROXY over UNSPEC, UNIX or a datagram protocol: no TCP client address to use (the spec says use the socket's).
  if ((family !== 1 && family !== 2) || protocol !== 1) {
    return { _tag: "Header", header: { version: 2, command: "PROXY", source: undefined, destination: undefined }, length }
  }
  const source = family === 1
    ? { address: ipv4(bytes, 16), port: u16(bytes, 24) }
    : { address: ipv6(bytes, 16), port: u16(bytes, 48) }
  const destination = family === 1
    ? { address: ipv4(bytes, 20), port: u16(bytes, 26) }
    : { address: ipv6(bytes, 32), port: u16(bytes, 50) }
  return { _tag: "Header", header: { version: 2, command: "PROXY", source, destination }, length }
}

/** A v1 header (for tests and tools): TCP4/TCP6 from the addresses' family, `UNKNOWN` without endpoints. */
export const encodeV1 = (source?: Endpoint, destination?: Endpoint): Uint8Array => {
  if (source === undefined || destination === undefined) return Buffer.from("PROXY UNKNOWN\r\n", "latin1")
  const family = net.isIPv6(source.address) ? "TCP6" : "TCP4"
  return Buffer.from(`PROXY ${family} ${source.address} ${destination.address} ${source.port} ${destination.port}\r\n`, "latin1")
}

const ipBytes = (address: string): Uint8Array =>
  net.isIPv4(address) ? Uint8Array.from(address.split(".").map(Number)) : ipv6Bytes(address)

/**
 * A v2 header (for tests and tools): PROXY over TCP with the endpoints, LOCAL without; `tlvs` are appended raw
 * after the address block.
 */
export const encodeV2 = (source?: Endpoint, destination?: Endpoint, tlvs: Uint8Array = new Uint8Array()): Uint8Array => {
  const local = source === undefined || destination === undefined
  const v6 = !local && net.isIPv6(source.address)
  const addressBlock = local ? new Uint8Array() : Uint8Array.from([
    ...ipBytes(source.address),
    ...ipBytes(destination.address),
    source.port >> 8,
    source.port & 0xff,
    destination.port >> 8,
    destination.port & 0xff
  ])
  const body = Uint8Array.from([...addressBlock, ...tlvs])
  return Uint8Array.from([
    ...v2Signature,
    local ? 0x20 : 0x21,
    local ? 0x00 : v6 ? 0x21 : 0x11,
    body.length >> 8,
    body.length & 0xff,
    ...body
  ])
}
