/**
 * The ARC chain of a received message (RFC 8617), as mailauth parses it: the header block, the ARC sets with the
 * newest ARC-Message-Signature verified, and the relaxed/SHA-256 body hash a new seal signs.
 *
 * The DKIM verifier (`@cartero/plugin-dkim-verify`) already makes this parse while it reads the message, and leaves
 * it on its result (`Results.Dkim`): when it ran, the message is not read again. Without it, the message is read
 * once here, verifying no DKIM signature (only the newest ARC-Message-Signature). The parse is kept in the
 * {@link Parsed} note for the sealer.
 *
 * @since 0.1.0
 */
import { type Message, Notes, type Session } from "@cartero/core"
import { Results } from "@cartero/mail-auth"
import { Verifier } from "@cartero/plugin-dkim-verify"
import { Effect, Option } from "effect"
import type { ARCData, ARCSigningData, DKIMVerifyResult, DNSResolver } from "mailauth"

/** What verifying and sealing need of the message. */
export interface Parse {
  /** mailauth's parsed header block of the message as received. */
  readonly headers: NonNullable<DKIMVerifyResult["headers"]>
  /** The ARC sets found (`chain: false` when none), the newest with its verified ARC-Message-Signature. */
  readonly arc: ARCSigningData
  /** Relaxed/SHA-256 hash of the body, the `bh=` of our ARC-Message-Signature. */
  readonly bodyHash: string
}

/** The parse of the transaction's message, once made. */
export const Parsed = Notes.make<Parse>("arc.parse")

/** The parse carried by a DKIM verification result, if it is complete. */
export const fromDkim = (result: DKIMVerifyResult): Parse | undefined => {
  const bodyHash = Verifier.sealBodyHash(result)
  return result.headers === undefined || result.arc === undefined || bodyHash === undefined
    ? undefined
    : { headers: result.headers, arc: result.arc, bodyHash }
}

/** How to parse when the DKIM verifier did not. */
export interface Options {
  readonly resolver: DNSResolver
  readonly minBitLength?: number | undefined
}

/**
 * The parse of the message: from the {@link Parsed} note, else from the DKIM verifier's result, else by reading the
 * message (the newest ARC-Message-Signature is verified then too). Recorded in {@link Parsed}.
 */
export const parse = (
  transaction: Session.Transaction,
  message: Message.Message,
  options: Options
): Effect.Effect<Parse, Verifier.DkimVerifyError | Message.MessageReadError> =>
  Effect.gen(function*() {
    const known = yield* Parsed.get(transaction)
    if (Option.isSome(known)) return known.value
    const dkim = yield* Results.Dkim.get(transaction)
    const reused = Option.isSome(dkim) ? fromDkim(dkim.value) : undefined
    const fresh = reused ?? fromDkim(
      (yield* Verifier.verify(message, { resolver: options.resolver, maxSignatures: 0, minBitLength: options.minBitLength })).result
    )
    if (fresh === undefined) return yield* new Verifier.DkimVerifyError({ cause: "mailauth returned no header parse" })
    yield* Parsed.set(transaction, fresh)
    return fresh
  })

/** mailauth's verifier input (`arc(data)`) for a parse. */
export const data = (parse: Parse): ARCData => ({
  chain: parse.arc.chain === false ? [] : parse.arc.chain,
  ...(parse.arc.lastEntry === undefined ? {} : { lastEntry: parse.arc.lastEntry }),
  ...(parse.arc.error === undefined ? {} : { error: parse.arc.error })
})
