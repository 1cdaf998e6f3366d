/**
 * Resolves a `TlsSource` (inline PEM, PEM files, or the self-signed development pair) into the key and certificate
 * given to every listener, once at start-up. The material is checked by building a secure context, so a broken or
 * mismatched pair stops start-up instead of failing every STARTTLS later.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import * as fs from "node:fs/promises"
import * as tls from "node:tls"
import * as SelfSignedCert from "./SelfSignedCert.ts"
import { SmtpServerError } from "./ServerError.ts"
import type { TlsSource } from "./ServerOptions.ts"

/** PEM key and certificate. */
export interface TlsMaterial {
  readonly key: Buffer
  readonly cert: Buffer
}

const toBuffer = (v: string | Uint8Array): Buffer => (typeof v === "string" ? Buffer.from(v) : Buffer.from(v))

/** Loads and validates the TLS material. */
export const load = Effect.fn("TlsMaterial.load")(function*(source: TlsSource, hostname: string) {
  const material: TlsMaterial = "selfSigned" in source
    ? yield* SelfSignedCert.ensure(source.selfSigned.dataDir, hostname)
    : "keyFile" in source
    ? yield* Effect.tryPromise({
      try: async () => ({ key: await fs.readFile(source.keyFile), cert: await fs.readFile(source.certFile) }),
      catch: (cause) =>
        new SmtpServerError({
          reason: "Tls",
          message: `cannot read the TLS key/certificate (${source.keyFile}, ${source.certFile}): ${String(cause)}`,
          cause
        })
    })
    : { key: toBuffer(source.key), cert: toBuffer(source.cert) }
  yield* Effect.try({
    try: () => tls.createSecureContext({ key: material.key, cert: material.cert }),
    catch: (cause) =>
      new SmtpServerError({ reason: "Tls", message: `invalid TLS key/certificate: ${String(cause)}`, cause })
  })
  return material
})
