/**
 * The `dkim-verify` plugin (RFC 6376): once the whole message has been read (the `message` phase), verify every DKIM
 * signature with mailauth and record its `DKIMVerifyResult` in `Results.Dkim` (`@cartero/mail-auth`) for the plugins
 * after it (DMARC, ARC, greylisting, filters).
 *
 * It never refuses a message: a failed or missing signature is not, by itself, a reason to treat a message
 * differently from an unsigned one (RFC 6376 §6.3); the policy belongs to DMARC and to local filters, which read the
 * results. Only a message that cannot be read back from disk fails the hook (the pipeline answers `451 4.3.0`).
 *
 * Bounded work: at most `maxSignatures` signatures per message (see `Verifier`), and `timeout` for the whole
 * verification; a verification that runs out of time records `dkim=temperror`.
 *
 * ```ts
 * Pipeline.Pipeline.layer([Spf.plugin(), DkimVerify.plugin(), ArcVerify.plugin(), Dmarc.plugin(), ...])
 * ```
 *
 * @since 0.1.0
 */
import { type Message, Plugin, type Session } from "@cartero/core"
import type { Dns } from "@cartero/dns"
import { Client, Resolver, Results } from "@cartero/mail-auth"
import { Address, Verdict } from "@cartero/smtp"
import { Duration, Effect } from "effect"
import type { DNSResolver } from "mailauth"
import * as Verifier from "./Verifier.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "dkim-verify"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** Signatures verified per message at most, from the top (RFC 6376 §6.1). Default 8. */
  readonly maxSignatures?: number
  /** Time for the whole verification (key lookups included); past it, `dkim=temperror`. Default 15 seconds. */
  readonly timeout?: Duration.Input
  /**
   * Shortest RSA key accepted, bits (mailauth's `minBitLength`). A signature made with a shorter key gets
   * `dkim=policy` (RFC 8301 §3.2 requires 1024 and recommends 2048). Default 1024.
   */
  readonly minBitLength?: number
  /**
   * Also verify mail of authenticated users and trusted clients (`Client.isExempt`). Default false: it is our own
   * users' outbound mail, about to be signed by us, and nothing later acts on its inbound DKIM result.
   */
  readonly verifyExempt?: boolean
}

/** Defaults of {@link Options}. */
export const defaults = {
  maxSignatures: 8,
  timeout: Duration.seconds(15),
  minBitLength: 1024,
  verifyExempt: false
} as const

/** The hooks, for a resolver and resolved options. */
export const hooks = (resolver: DNSResolver, options: Options = {}) => {
  const maxSignatures = options.maxSignatures ?? defaults.maxSignatures
  const timeout = options.timeout ?? defaults.timeout
  const minBitLength = options.minBitLength ?? defaults.minBitLength
  const verifyExempt = options.verifyExempt ?? defaults.verifyExempt
  return {
    message: Effect.fn("DkimVerify.message")(function*(transaction: Session.Transaction, message: Message.Message) {
      if (!verifyExempt && Client.isExempt(transaction.connection)) return Verdict.next
      const sender = transaction.mailFrom === null ? undefined : Address.format(transaction.mailFrom)
      const verification = yield* Verifier.verify(message, { resolver, maxSignatures, minBitLength, sender }).pipe(
        Effect.timeoutOrElse({
          duration: timeout,
          orElse: () => Effect.succeed<Verifier.Verification>({ result: Verifier.unverified(message, "temperror", "verification timed out"), skipped: 0 })
        }),
        // mailauth choking on a message is the message's problem, not a reason to make the client retry forever.
        Effect.catchTag("DkimVerifyError", (error) =>
          Effect.logWarning("DKIM verification failed", error.cause).pipe(
            Effect.as<Verifier.Verification>({ result: Verifier.unverified(message, "permerror", "message could not be verified"), skipped: 0 })
          ))
      )
      yield* Results.Dkim.set(transaction, verification.result)
      yield* Effect.annotateCurrentSpan({
        dkim: verification.result.results.map((r) => r.status.result).join(","),
        skipped: verification.skipped
      })
      if (verification.skipped > 0) {
        yield* Effect.logInfo("DKIM signatures over the limit were not verified").pipe(
          Effect.annotateLogs({ skipped: verification.skipped, maxSignatures })
        )
      }
      return Verdict.next
    })
  }
}

/**
 * The plugin. Needs `Dns` (`@cartero/dns`): key lookups go through its cache and its nameservers.
 */
export const plugin = (options: Options = {}): Plugin.Plugin<never, Dns.Dns> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      return hooks(yield* Resolver.fromContext, options)
    })
  )
