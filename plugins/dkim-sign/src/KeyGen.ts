/**
 * New DKIM key pairs: what `cartero dkim keygen` writes and prints. RSA keys are 2048 bits unless asked otherwise
 * (RFC 8301 §3.2: at least 1024, 2048 recommended; many DNS providers cannot hold the TXT record of a 4096-bit key
 * in one field); Ed25519 keys (RFC 8463) have no size.
 *
 * @since 0.1.0
 */
import { Data, Effect } from "effect"
import * as crypto from "node:crypto"
import * as DnsRecord from "./DnsRecord.ts"

/** The smallest RSA key generated or loaded (RFC 8301 §3.2: verifiers must not accept smaller ones). */
export const minRsaBits = 1024
/** RSA keys below this size are signed with, but warned about (RFC 8301 recommends 2048). */
export const recommendedRsaBits = 2048
/** The largest RSA key generated (a 8192-bit key takes seconds to make and its record is over 1 KiB). */
export const maxRsaBits = 8192

/** A key pair request that cannot be honoured. */
export class KeyGenError extends Data.TaggedError("KeyGenError")<{ readonly reason: string }> {
  override get message(): string {
    return this.reason
  }
}

/** A generated key pair: the private key as PKCS#8 PEM, and the DNS record text that publishes its public half. */
export interface KeyPair {
  readonly type: DnsRecord.KeyType
  /** RSA modulus length; undefined for Ed25519. */
  readonly bits: number | undefined
  readonly privateKeyPem: string
  /** `v=DKIM1; k=…; p=…`. */
  readonly record: string
}

/**
 * Generates a key pair. `bits` is for RSA only (default 2048, 1024-8192, a multiple of 8 as OpenSSL needs); giving
 * it for Ed25519 is refused rather than ignored.
 */
export const generate = (type: DnsRecord.KeyType, bits?: number): Effect.Effect<KeyPair, KeyGenError> =>
  Effect.gen(function*() {
    if (type === "ed25519") {
      if (bits !== undefined) return yield* new KeyGenError({ reason: "--bits applies to RSA keys only (Ed25519 keys have a fixed size)" })
      const pair = yield* Effect.promise(() => generateKeyPair("ed25519"))
      return make(type, undefined, pair.privateKey)
    }
    const size = bits ?? recommendedRsaBits
    if (!Number.isInteger(size) || size < minRsaBits || size > maxRsaBits || size % 8 !== 0) {
      return yield* new KeyGenError({ reason: `RSA key size must be a multiple of 8 from ${minRsaBits} to ${maxRsaBits} bits, got ${size}` })
    }
    const pair = yield* Effect.promise(() => generateKeyPair("rsa", size))
    return make(type, size, pair.privateKey)
  })

const make = (type: DnsRecord.KeyType, bits: number | undefined, privateKey: crypto.KeyObject): KeyPair => ({
  type,
  bits,
  privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  record: DnsRecord.text(type, DnsRecord.publicKeyValue(privateKey))
})

// Node's asynchronous generator: an RSA key takes tens of milliseconds (seconds at 8192 bits), off the event loop.
const generateKeyPair = (type: DnsRecord.KeyType, modulusLength = 0) =>
  new Promise<crypto.KeyPairKeyObjectResult>((resolve, reject) => {
    const done = (error: Error | null, publicKey: crypto.KeyObject, privateKey: crypto.KeyObject) =>
      error === null ? resolve({ publicKey, privateKey }) : reject(error)
    if (type === "rsa") crypto.generateKeyPair("rsa", { modulusLength }, done)
    else crypto.generateKeyPair("ed25519", undefined, done)
  })
