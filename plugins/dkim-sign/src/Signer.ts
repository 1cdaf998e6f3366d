/// <reference path="./mailauth-dkim-signer.d.ts" />
/**
 * One pass of mailauth's DKIM signer over a message, for every key of the signing domain at once (one body hash per
 * hash algorithm, one signature per key: RSA and Ed25519 side by side, as RFC 8463 §3 suggests while verifiers
 * without Ed25519 remain).
 *
 * mailauth does the canonicalisation, hashing and signing. It lists in `h=` the fields the message has and cannot
 * oversign, so this module subclasses its signer (the class its public `dkimSign` wraps) and, once it has parsed
 * the header block, appends the oversigned names to the `h=` entry of the topmost signed field: every real instance
 * is listed before them, so verifiers find no instance left for the extra names, which therefore add nothing to the
 * signed data, as RFC 6376 §5.4.2 specifies (checked against mailauth's and dkimpy's verifiers in the tests).
 *
 * @since 0.1.0
 */
import { Header } from "@cartero/smtp"
import { Data, Effect } from "effect"
import { DkimSigner, type ParsedHeaders, type SignerOptions } from "mailauth/lib/dkim/dkim-signer.js"
import type * as SignedHeaders from "./SignedHeaders.ts"
import type * as SigningKey from "./SigningKey.ts"

/** What to sign and how. */
export interface Request {
  readonly message: Uint8Array
  /** The keys to sign with, one signature each (normally one domain's RSA and/or Ed25519 key). */
  readonly keys: ReadonlyArray<SigningKey.SigningKey>
  readonly headers: SignedHeaders.HeaderList
  /** `t=`. */
  readonly signTime: Date
  /** `x=`, when signatures expire. */
  readonly expires: Date | undefined
}

/** mailauth could not make a signature (or could not read the message). */
export class SignError extends Data.TaggedError("DkimSignError")<{ readonly reason: string }> {
  override get message(): string {
    return `DKIM signing failed: ${this.reason}`
  }
}

/** The name of the field this module produces. */
export const fieldName = "DKIM-Signature"

class OversigningSigner extends DkimSigner {
  readonly #signed: ReadonlySet<string>
  readonly #extra: ReadonlyArray<string>

  constructor(options: SignerOptions, headers: SignedHeaders.HeaderList) {
    super(options)
    this.#signed = new Set(headers.signed.map((n) => n.toLowerCase()))
    this.#extra = headers.oversigned
  }

  override async messageHeaders(headers: ParsedHeaders): Promise<void> {
    await super.messageHeaders(headers)
    if (this.#extra.length === 0) return
    // mailauth lists signed fields bottom-up, so the topmost one comes last in `h=`.
    const top = headers.parsed.find((f) => f.key !== null && this.#signed.has(f.key))
    if (top !== undefined) top.casedKey = [top.casedKey ?? top.key, ...this.#extra].join(": ")
  }
}

/** mailauth's folded `DKIM-Signature: …` line as a header value (unfolded; relaxed canonicalisation ignores folding). */
const toHeader = (line: string): Header.Header =>
  Header.make(fieldName, line.replace(/^DKIM-Signature:/i, "").replace(/\r?\n/g, ""))

/**
 * Signs `request.message` with every key. Succeeds with one `DKIM-Signature` field per key (in key order), or with
 * none when the message has no header block to sign (no empty line after the header); fails when any signature
 * cannot be made (the worker then defers the message rather than send it with fewer signatures than configured).
 */
export const sign = (request: Request): Effect.Effect<ReadonlyArray<Header.Header>, SignError> =>
  Effect.suspend(() => {
    const signer = new OversigningSigner({
      canonicalization: "relaxed/relaxed",
      headerList: request.headers.signed.join(":"),
      signTime: request.signTime,
      ...(request.expires !== undefined ? { expires: request.expires } : {}),
      signatureData: request.keys.map((key) => ({
        signingDomain: key.domain,
        selector: key.selector,
        privateKey: key.privateKeyPem,
        algorithm: key.type === "rsa" ? "rsa-sha256" : "ed25519-sha256",
        canonicalization: "relaxed/relaxed"
      }))
    }, request.headers)
    return Effect.callback<void, SignError>((resume) => {
      signer.once("error", (error) => resume(Effect.fail(new SignError({ reason: error.message }))))
      signer.once("finish", () => resume(Effect.void))
      signer.end(Buffer.from(request.message.buffer, request.message.byteOffset, request.message.byteLength))
    }).pipe(Effect.flatMap(() => {
      if (signer.errors.length > 0) {
        const reason = signer.errors.map((e) => `${e.selector ?? "?"}._domainkey.${e.signingDomain ?? "?"}: ${e.err.message}`).join("; ")
        return Effect.fail(new SignError({ reason }))
      }
      return Effect.succeed(signer.signatureHeaders.map(toHeader))
    }))
  })
