/**
 * Test support for DKIM and ARC plugins: key pairs made at test time (RSA 2048, Ed25519 as RFC 8463 publishes it)
 * with the TXT record to serve from `FakeDns`, and messages signed by mailauth's own signer.
 *
 * ```ts
 * const key = Keys.generate("rsa")
 * const zones = { "sel._domainkey.example.test": { TXT: [key.record] } }
 * const signed = yield* Keys.sign(raw, { domain: "example.test", selector: "sel", key })
 * ```
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import { dkimSign } from "mailauth"
import * as Crypto from "node:crypto"

/** A key pair and its DNS record. */
export interface Key {
  readonly type: "rsa" | "ed25519"
  /** PKCS#8 PEM, as mailauth's signer takes it. */
  readonly privateKey: string
  /** The `<selector>._domainkey` TXT record: `v=DKIM1; k=…; p=…`. */
  readonly record: string
  /** mailauth's algorithm name for signatures with this key. */
  readonly algorithm: "rsa-sha256" | "ed25519-sha256"
}

/** The `p=` value: the SubjectPublicKeyInfo for RSA (RFC 6376 §3.6.1), the raw 32-octet key for Ed25519 (RFC 8463 §4.2). */
const publicValue = (type: Key["type"], publicKey: Crypto.KeyObject): string => {
  const der = publicKey.export({ type: "spki", format: "der" })
  return (type === "rsa" ? der : der.subarray(der.length - 32)).toString("base64")
}

/** A new key pair (RSA: 2048 bits unless told otherwise). */
export const generate = (type: Key["type"], bits = 2048): Key => {
  const pair = type === "rsa"
    ? Crypto.generateKeyPairSync("rsa", { modulusLength: bits })
    : Crypto.generateKeyPairSync("ed25519")
  return {
    type,
    privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    record: `v=DKIM1; k=${type}; p=${publicValue(type, pair.publicKey)}`,
    algorithm: type === "rsa" ? "rsa-sha256" : "ed25519-sha256"
  }
}

/** Who signs. */
export interface Signer {
  readonly domain: string
  readonly selector: string
  readonly key: Key
}

/** `raw` with a DKIM-Signature by `signer` on top (relaxed/relaxed, mailauth's default header list). */
export const sign = (raw: string, signer: Signer): Effect.Effect<string> =>
  Effect.promise(() =>
    dkimSign(raw, {
      // mailauth signs with the entries of `signatureData`; the top-level fields are its required defaults.
      signingDomain: signer.domain,
      selector: signer.selector,
      privateKey: signer.key.privateKey,
      canonicalization: "relaxed/relaxed",
      // Without it mailauth 4.13.3 reads the clock twice: a signature made across a second boundary does not verify.
      signTime: new Date(),
      signatureData: [{
        signingDomain: signer.domain,
        selector: signer.selector,
        privateKey: signer.key.privateKey,
        algorithm: signer.key.algorithm
      }]
    })
  ).pipe(Effect.flatMap((result) => result.errors.length > 0 ? Effect.die(result.errors[0]) : Effect.succeed(result.signatures + raw)))
