/**
 * The DKIM key record a signing domain publishes (RFC 6376 §3.6.1): `<selector>._domainkey.<domain>` TXT
 * `v=DKIM1; k=rsa; p=<base64>`. For RSA, `p=` is the DER SubjectPublicKeyInfo; for Ed25519 (RFC 8463 §4.2) it is
 * the raw 32-byte public key, not its SPKI wrapping.
 *
 * @since 0.1.0
 */
import * as crypto from "node:crypto"

/** The key types DKIM signs with here (`k=` of the record). */
export type KeyType = "rsa" | "ed25519"

/** Most octets in one character-string of a TXT record (RFC 1035 §3.3). */
export const maxStringLength = 255

/** The name of the record: `s1._domainkey.example.com`. */
export const name = (selector: string, domain: string): string => `${selector}._domainkey.${domain}`

/** The `p=` value for a public (or private: its public half) key. */
export const publicKeyValue = (key: crypto.KeyObject): string => {
  const publicKey = key.type === "private" ? crypto.createPublicKey(key) : key
  const der = publicKey.export({ type: "spki", format: "der" })
  // An Ed25519 SPKI is a fixed 12-octet prefix and the 32-octet key; RFC 8463 publishes the key alone.
  return (publicKey.asymmetricKeyType === "ed25519" ? der.subarray(der.length - 32) : der).toString("base64")
}

/** The record's text: `v=DKIM1; k=rsa; p=MIIB…`. */
export const text = (type: KeyType, publicKey: string): string => `v=DKIM1; k=${type}; p=${publicKey}`

/** `text` cut into character-strings of at most 255 octets (the record is ASCII, so octets are characters). */
export const strings = (value: string): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (let i = 0; i < value.length; i += maxStringLength) out.push(value.slice(i, i + maxStringLength))
  return out.length === 0 ? [""] : out
}

/**
 * The record as a zone-file line, each character-string quoted:
 * `s1._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p=MIIB…" "…"`.
 */
export const zoneLine = (selector: string, domain: string, value: string): string =>
  `${name(selector, domain)}. IN TXT ${strings(value).map((s) => `"${s}"`).join(" ")}`
