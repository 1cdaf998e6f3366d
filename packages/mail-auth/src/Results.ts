/**
 * The authentication results of one transaction, as typed notes: the SPF plugin writes {@link Spf} at MAIL FROM, the
 * DKIM verifier writes {@link Dkim} and the ARC verifier {@link Arc} once the body has been read, the DMARC plugin
 * reads all three and writes {@link Dmarc}. Anything later (greylisting, a spam filter, a storage plugin) reads
 * them through these keys.
 *
 * The values are mailauth's own results (its `index.d.ts`), unchanged: they carry both the verdicts and the
 * `info` text that becomes the method's part of `Authentication-Results:` (RFC 8601), and mailauth's DMARC takes them
 * back as they are.
 *
 * ```ts
 * const spf = yield* Results.Spf.get(transaction)      // Option<SPFResult>
 * if (Option.isSome(spf) && spf.value.status.result === "pass") ...
 * ```
 *
 * @since 0.1.0
 */
import { Notes, type Session } from "@cartero/core"
import type { Header } from "@cartero/smtp"
import { Effect, Option } from "effect"
import type { ARCResult, DKIMVerifyResult, DMARCResult, SPFResult } from "mailauth"

/** SPF of the transaction's sender (or of the HELO name for the null sender), RFC 7208. */
export const Spf = Notes.make<SPFResult>("mail-auth.spf")

/** Every DKIM signature of the message, verified (RFC 6376); `results` is empty when the message carries none. */
export const Dkim = Notes.make<DKIMVerifyResult>("mail-auth.dkim")

/** The ARC chain of the message as received (RFC 8617). */
export const Arc = Notes.make<ARCResult>("mail-auth.arc")

/** The DMARC evaluation (RFC 7489); `false` when the From domain publishes no policy. */
export const Dmarc = Notes.make<DMARCResult | false>("mail-auth.dmarc")

/**
 * The `Authentication-Results:` field this server added to the message (written by the DMARC plugin, which adds
 * it): what an ARC sealer on relay puts in its `ARC-Authentication-Results:` (RFC 8617 §4.1.1).
 */
export const Written = Notes.make<Header.Header>("mail-auth.authentication-results")

/** SPF outcomes (RFC 7208 §2.6). */
export type SpfOutcome = "pass" | "fail" | "softfail" | "neutral" | "none" | "temperror" | "permerror"

/** The SPF outcome recorded on the transaction, if the SPF plugin ran. */
export const spfOutcome = (transaction: Session.Transaction): Effect.Effect<Option.Option<string>> =>
  Effect.map(Spf.get(transaction), Option.map((r) => r.status.result))

/**
 * The domains of the passing DKIM signatures that align with the From domain under relaxed alignment (mailauth
 * marks them `aligned`), if the DKIM verifier ran. Used by policies that trust authenticated mail (greylisting).
 */
export const alignedDkimPasses = (transaction: Session.Transaction): Effect.Effect<ReadonlyArray<string>> =>
  Effect.map(Dkim.get(transaction), (dkim) =>
    Option.isNone(dkim)
      ? []
      : dkim.value.results.flatMap((r) =>
        // mailauth sets `aligned` to the aligned domain (or false) at run time; its declaration says boolean.
        r.status.result === "pass" && typeof (r.status.aligned as unknown) === "string" ? [String(r.status.aligned)] : []
      ))
