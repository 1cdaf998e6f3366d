/**
 * How the outbound client uses STARTTLS (RFC 3207) towards one destination.
 *
 * - `none`: never send STARTTLS, even when it is advertised (a trusted LAN relay, a test sink).
 * - `opportunistic`: upgrade when STARTTLS is advertised, otherwise deliver in plaintext (RFC 7435). The default.
 * - `required`: refuse to send anything but EHLO/STARTTLS in the clear; a server without STARTTLS, a refused
 *   STARTTLS or a failed handshake is a {@link ConnectError} with reason `tls` (the next MX may do better).
 *
 * `verify` decides whether the certificate chain and name are checked:
 * - under `required`, a certificate that does not verify fails the connection (`tls`);
 * - under `opportunistic`, a certificate that does not verify is recorded (`TlsInfo.authorized: false`) but the
 *   session continues encrypted: falling back to plaintext would be strictly worse (RFC 7435 §3), and an active
 *   attacker can strip STARTTLS anyway, so insisting there buys nothing. Who needs authentication says `required`.
 *
 * @since 0.1.0
 */
import type * as tls from "node:tls"

/** When to use STARTTLS. */
export type TlsMode = "none" | "opportunistic" | "required"

/** A TLS policy for one destination. Part of the connection-pool key. */
export interface TlsPolicy {
  readonly mode: TlsMode
  /** Check the certificate chain and the server name. */
  readonly verify: boolean
  /** Trust anchors instead of Node's default CA list (e.g. a private CA, a pinned self-signed certificate). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
  /** The name to verify and send in SNI. Defaults to the host we connect to (when it is a name, not an IP). */
  readonly servername?: string
  /** Lowest TLS version accepted. Default `TLSv1.2`. */
  readonly minVersion?: tls.SecureVersion
}

/** Opportunistic, unverified: what almost every MTA does on port 25 without MTA-STS or DANE. */
export const opportunistic: TlsPolicy = { mode: "opportunistic", verify: false }

/** Plaintext only. */
export const none: TlsPolicy = { mode: "none", verify: false }

/** TLS mandatory and the certificate verified (e.g. an MTA-STS `enforce` domain, a smarthost). */
export const required = (options?: Omit<TlsPolicy, "mode">): TlsPolicy => ({ verify: true, ...options, mode: "required" })

/** A policy with the given mode and options. */
export const make = (mode: TlsMode, options?: Partial<Omit<TlsPolicy, "mode">>): TlsPolicy => ({ verify: false, ...options, mode })

/**
 * A stable string for the pool key: two requests share connections only when their policies would have made the
 * same decisions. Trust anchors are represented by their length and a cheap checksum, not their content.
 */
export const key = (policy: TlsPolicy): string => {
  const ca = policy.ca === undefined ? "" : fingerprint(policy.ca)
  return [policy.mode, policy.verify ? "v" : "nv", policy.servername ?? "", policy.minVersion ?? "", ca].join("|")
}

const fingerprint = (ca: string | Buffer | ReadonlyArray<string | Buffer>): string => {
  const parts = typeof ca === "string" || Buffer.isBuffer(ca) ? [ca] : ca
  let h = 0
  let n = 0
  for (const part of parts) {
    const bytes = typeof part === "string" ? Buffer.from(part) : part
    for (const b of bytes) h = (Math.imul(h, 31) + b) | 0
    n += bytes.length
  }
  return `${n}:${(h >>> 0).toString(16)}`
}
