/**
 * mailauth's DKIM verifier (RFC 6376), fed the message as received and bounded.
 *
 * - **As received.** The verifier reads `Message.stream(message)`: the octets the client sent, chunk by chunk (a
 *   spilled message is read from its file, never loaded whole). Headers that we add (`Received:`, verdict headers in
 *   `prepend`) are not part of it, so they cannot break a signature.
 * - **At most `maxSignatures` DKIM signatures.** mailauth 4.13.3 verifies every `DKIM-Signature` field it finds, one
 *   key lookup and one body hash per distinct (canonicalization, hash, `l=`) each, and has no limit of its own. A
 *   hostile message with 1000 signature fields would cost 1000 DNS lookups. RFC 6376 §6.1 lets a verifier "limit
 *   the number of signatures it tries": the first `maxSignatures` fields from the top (the newest) are verified, the
 *   others are left out of the results (counted in {@link Verification.skipped}). The limit is applied to the header
 *   list mailauth sees while it collects signatures; everything else (the headers a signature covers, the ARC chain)
 *   sees the full header block.
 * - **The ARC parse comes along.** mailauth's verifier also reads the ARC chain and verifies the newest
 *   ARC-Message-Signature (RFC 8617 §5.2); the result carries that parse (`arc`, `headers`, as mailauth's
 *   `dkimVerify` does) and the relaxed/SHA-256 body hash an ARC sealer signs ({@link sealBodyHash}), so the ARC
 *   plugin verifies and seals without reading the message again.
 *
 * The result is mailauth's `DKIMVerifyResult`, built exactly as `dkimVerify` builds it (non-enumerable `headers`,
 * `arc` and `seal`).
 *
 * @since 0.1.0
 */
/// <reference path="./mailauth-internals.d.ts" />
import { Message } from "@cartero/core"
import { AddressList } from "@cartero/mime"
import { Data, Effect, Stream } from "effect"
import type { DKIMResult, DKIMVerifyResult, DNSResolver } from "mailauth"
import { DkimVerifier, type ParsedHeaders } from "mailauth/lib/dkim/dkim-verifier.js"
import { once } from "node:events"

/** How to verify. */
export interface Options {
  /** mailauth's DNS (`Resolver.fromContext` of `@cartero/mail-auth`). */
  readonly resolver: DNSResolver
  /** DKIM-Signature fields verified at most, from the top; `0` verifies none (only the ARC parse is made). */
  readonly maxSignatures: number
  /** Shortest RSA key accepted, bits (mailauth's `minBitLength`, default 1024); shorter keys give `policy`. */
  readonly minBitLength?: number | undefined
  /** The envelope sender (MAIL FROM), for `envelopeFrom`; without it mailauth reads `Return-Path:`. */
  readonly sender?: string | undefined
  /** The time signatures are checked against (`t=`, `x=`). Default: now. */
  readonly now?: Date | undefined
}

/** What one verification found. */
export interface Verification {
  /** mailauth's result, unchanged. */
  readonly result: DKIMVerifyResult
  /** DKIM-Signature fields present but not verified (over `maxSignatures`). */
  readonly skipped: number
}

/** mailauth failed on the message (a defect in it, or input it could not cope with). */
export class DkimVerifyError extends Data.TaggedError("DkimVerifyError")<{ readonly cause: unknown }> {
  override get message(): string {
    return `DKIM verification failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/** mailauth's verifier, seeing at most `max` DKIM-Signature fields while it collects the signatures to verify. */
class BoundedVerifier extends DkimVerifier {
  skipped = 0

  constructor(options: ConstructorParameters<typeof DkimVerifier>[0], private readonly max: number) {
    super(options)
  }

  override async messageHeaders(headers: ParsedHeaders): Promise<void> {
    let seen = 0
    const parsed = headers.parsed.filter((field) => field.key !== "dkim-signature" || seen++ < this.max)
    this.skipped = headers.parsed.length - parsed.length
    await super.messageHeaders({ ...headers, parsed })
    // The signatures are chosen; what they sign (and the ARC chain) is read from the whole header block.
    this.headers = headers
  }
}

/** `Object.defineProperty` as mailauth's `dkimVerify` does it: present, but not enumerable (not logged, not copied). */
const hidden = (target: object, key: string, value: unknown): void => {
  if (value !== undefined && value !== false) Object.defineProperty(target, key, { value, enumerable: false, writable: false, configurable: false })
}

const resultOf = (verifier: BoundedVerifier): DKIMVerifyResult => {
  const result = { headerFrom: verifier.headerFrom, envelopeFrom: verifier.envelopeFrom, results: verifier.results }
  hidden(result, "headers", verifier.headers)
  hidden(result, "arc", verifier.arc)
  hidden(result, "seal", verifier.seal)
  return result
}

/** Waits until the verifier has taken `chunk` (backpressure: a slow verifier slows the file read, not memory). */
const write = (verifier: BoundedVerifier, chunk: Uint8Array): Effect.Effect<void, DkimVerifyError> =>
  verifier.write(chunk)
    ? Effect.void
    : Effect.tryPromise({ try: () => once(verifier, "drain").then(() => undefined), catch: (cause) => new DkimVerifyError({ cause }) })

/** Verifies the DKIM signatures of `message` as received, and parses its ARC chain. */
export const verify = (message: Message.Message, options: Options): Effect.Effect<Verification, DkimVerifyError | Message.MessageReadError> =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const verifier = new BoundedVerifier({
        resolver: options.resolver,
        ...(options.sender === undefined ? {} : { sender: options.sender }),
        ...(options.minBitLength === undefined ? {} : { minBitLength: options.minBitLength }),
        ...(options.now === undefined ? {} : { curTime: options.now }),
        // An empty seal makes mailauth compute the relaxed/SHA-256 body hash an ARC seal signs (for the ARC plugin);
        // it shares the hash of the usual relaxed/sha256 signatures, so it is free for most messages.
        seal: {}
      }, Math.max(0, options.maxSignatures))
      // Settles once mailauth has looked up the keys and checked every signature (or failed).
      const finished = once(verifier, "finish").then(() => undefined)
      finished.catch(() => undefined)
      return { verifier, finished }
    }),
    ({ finished, verifier }) =>
      Effect.gen(function*() {
        yield* Stream.runForEach(Message.stream(message), (chunk) => write(verifier, chunk))
        verifier.end()
        yield* Effect.tryPromise({ try: () => finished, catch: (cause) => new DkimVerifyError({ cause }) })
        return { result: resultOf(verifier), skipped: verifier.skipped }
      }),
    // On interruption (the time bound) the verifier is dropped; lookups in flight end with their own DNS timeouts.
    ({ verifier }) => Effect.sync(() => verifier.destroy())
  )

/** The relaxed/SHA-256 body hash computed for an ARC seal, when the result comes from {@link verify}. */
export const sealBodyHash = (result: DKIMVerifyResult): string | undefined => {
  const seal: unknown = Object.getOwnPropertyDescriptor(result, "seal")?.value
  if (typeof seal !== "object" || seal === null || !("bodyHash" in seal)) return undefined
  return typeof seal.bodyHash === "string" ? seal.bodyHash : undefined
}

/** The From addresses of the header block (what mailauth records as `headerFrom`). */
const fromAddresses = (message: Message.Message): Array<string> =>
  message.headers.getAll("from").flatMap((value) => AddressList.mailboxes(AddressList.parseList(value)).map((m) => m.address).filter((a) => a !== ""))

/**
 * The result recorded when verification could not be done: one `temperror` when it did not finish in time (RFC 6376
 * §6.1.2: a key that could not be fetched is a temporary failure), one `permerror` when mailauth could not process
 * the message. The From addresses are filled in, so that DMARC still knows the author domain.
 */
export const unverified = (message: Message.Message, result: "temperror" | "permerror", reason: string): DKIMVerifyResult => {
  const status: DKIMResult["status"] = { result, comment: reason }
  return {
    headerFrom: fromAddresses(message),
    envelopeFrom: false,
    results: [{ signingDomain: "", status, info: `dkim=${result} (${reason})` }]
  }
}
