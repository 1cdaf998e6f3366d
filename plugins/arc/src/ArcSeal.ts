/**
 * The `arc-seal` plugin (RFC 8617 §5.1): adds an ARC set (`ARC-Seal:`, `ARC-Message-Signature:`,
 * `ARC-Authentication-Results:`) to the messages this server will relay, so that the next hop can see what we
 * verified even after a change that breaks DKIM further on (a mailing list, a forwarder).
 *
 * **Where it seals.** At receipt, in the `message` phase, for a message with at least one recipient that is not local
 * (`isLocal`, by default `LocalDomains.isLocal` of `@cartero/plugin-local-domains`): the ARC headers are added as
 * verdict headers, so they are prepended to the message as it is stored and relayed; the message body and headers
 * it signs are the ones received, which is what the next hop sees below our prepended fields. Local recipients get
 * the same headers (harmless, and one message is stored once). Sealing at receipt rather than at send time keeps the
 * seal next to the verification it attests, and costs no second read of the message (the body hash comes from the
 * DKIM verifier's pass).
 *
 * **Order.** After `dmarc` (the `ARC-Authentication-Results:` copies our `Authentication-Results:`, `Results.Written`;
 * without it, one is built from the notes with `AuthenticationResults.make`): `spf → dkim-verify → arc-verify → dmarc
 * → arc-seal`.
 *
 * **When.** Only when the chain we received is `none` or `pass` (`cv=none`/`cv=pass`), or `fail` while its newest set
 * still claimed `pass` (`cv=fail`, mailauth's `shouldSeal`): a chain already marked failed is not extended (RFC 8617
 * §5.1.2), nor one that already has 50 sets. Mail from authenticated users and trusted clients is not sealed unless
 * `sealExempt` (it is original mail, which DKIM signing covers, not mail we pass on).
 *
 * It never refuses a message. A seal that cannot be made (a defect) fails the hook: the pipeline answers `451 4.3.0`
 * rather than relay a message unsealed against the configuration.
 *
 * @since 0.1.0
 */
import { type Message, Plugin, type Session } from "@cartero/core"
import type { Dns } from "@cartero/dns"
import { AuthenticationResults, Client, Resolver, Results } from "@cartero/mail-auth"
import { LocalDomains } from "@cartero/plugin-local-domains"
import { type Envelope, Header, Verdict } from "@cartero/smtp"
import { Clock, Data, Duration, Effect, Option } from "effect"
import { type ARCResult, createSeal } from "mailauth"
import * as Crypto from "node:crypto"
import * as os from "node:os"
import * as ArcVerify from "./ArcVerify.ts"
import * as Chain from "./Chain.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "arc-seal"

/** The sealing key (mailauth's `ARCSealOptions`). */
export interface SealKey {
  /** `d=`: the domain publishing the key. */
  readonly signingDomain: string
  /** `s=`: the selector; the key is published at `<selector>._domainkey.<signingDomain>`. */
  readonly selector: string
  /** The RSA private key, PEM. */
  readonly privateKey: string | Buffer
  /** `a=`: RFC 8617 defines only `rsa-sha256`, and mailauth signs ARC-Message-Signature with it only. */
  readonly algorithm?: "rsa-sha256"
  /**
   * Header fields the ARC-Message-Signature covers. Default mailauth's DKIM list (From, Sender, Reply-To, Subject,
   * Date, Message-ID, To, Cc, MIME-Version, Content-*, Resent-*, List-*, …).
   */
  readonly headerList?: ReadonlyArray<string>
}

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  readonly seal: SealKey
  /**
   * The `authserv-id` of the `Authentication-Results:` built when the DMARC plugin did not write one; it should be
   * the one the DMARC plugin uses. Default the OS host name.
   */
  readonly authservId?: string
  /** Whether a recipient is local (not relayed): default `LocalDomains.isLocal`. */
  readonly isLocal?: (transaction: Session.Transaction, recipient: Envelope.Recipient) => Effect.Effect<boolean>
  /** Also seal mail of authenticated users and trusted clients. Default false. */
  readonly sealExempt?: boolean
  /** Time for validating the chain, when `arc-verify` did not run before. Default 15 seconds. */
  readonly timeout?: Duration.Input
}

/** The sealing key is unusable: the plugin does not start. */
export class ArcSealConfigError extends Data.TaggedError("ArcSealConfigError")<{ readonly detail: string }> {
  override get message(): string {
    return `arc-seal: ${this.detail}`
  }
}

/** ARC allows at most 50 sets (RFC 8617 §4.2.1). */
export const maxInstance = 50

/**
 * The `cv=` of the seal to add after a chain validated as `result`, or `undefined` when no seal is added: `none` and
 * `pass` carry over; `fail` is sealed (once) only when the newest set claimed `pass` (mailauth's `shouldSeal`).
 */
export const chainValidation = (result: ARCResult): "none" | "pass" | "fail" | undefined => {
  const next = (typeof result.i === "number" ? result.i : 0) + 1
  if (next > maxInstance) return undefined
  switch (result.status.result) {
    case "none":
    case "pass":
      return result.status.result
    case "fail":
      return result.status.shouldSeal === true ? "fail" : undefined
    default:
      return undefined
  }
}

/** Our `Authentication-Results:` value: the DMARC plugin's, or one made of every method's result in the notes. */
export const authenticationResults = (transaction: Session.Transaction, authservId: string): Effect.Effect<string> =>
  Effect.gen(function*() {
    const written = yield* Results.Written.get(transaction)
    if (Option.isSome(written)) return written.value.value
    const dkim = yield* Results.Dkim.get(transaction)
    const spf = yield* Results.Spf.get(transaction)
    const arcResult = yield* Results.Arc.get(transaction)
    const dmarc = yield* Results.Dmarc.get(transaction)
    const infos = [
      ...Option.match(dkim, { onNone: () => [], onSome: (d) => d.results.map((r) => r.info) }),
      ...Option.match(spf, { onNone: () => [], onSome: (s) => [s.info] }),
      ...Option.match(arcResult, { onNone: () => [], onSome: (a) => (a.info === undefined ? [] : [a.info]) }),
      ...Option.match(dmarc, { onNone: () => [], onSome: (d) => (d === false ? [] : [d.info]) })
    ]
    return AuthenticationResults.make(authservId, infos).value
  })

/** `Name: value` as mailauth renders it (folded with CRLF + WSP) → a header field to prepend. */
export const toHeader = (field: string): Header.Header => {
  const colon = field.indexOf(":")
  // Unfolding is removing the CRLFs (RFC 5322 §2.2.3); ARC signs with relaxed canonicalization, which ignores how
  // the whitespace left is folded again.
  return Header.make(field.slice(0, colon).trim(), field.slice(colon + 1).replace(/\r\n/g, ""))
}

/** Checks the key at start-up: a PEM RSA private key. */
const checkKey = (key: SealKey): Effect.Effect<void, ArcSealConfigError> =>
  Effect.try({
    try: () => Crypto.createPrivateKey(key.privateKey),
    catch: (cause) => new ArcSealConfigError({ detail: `seal.privateKey is not a private key (${cause instanceof Error ? cause.message : String(cause)})` })
  }).pipe(
    Effect.flatMap((k) =>
      k.asymmetricKeyType === "rsa"
        ? Effect.void
        : Effect.fail(new ArcSealConfigError({ detail: `seal.privateKey must be an RSA key (ARC signs with rsa-sha256), got ${k.asymmetricKeyType}` }))
    ),
    Effect.andThen(
      key.signingDomain.trim() === "" || key.selector.trim() === ""
        ? Effect.fail(new ArcSealConfigError({ detail: "seal.signingDomain and seal.selector must not be empty" }))
        : Effect.void
    )
  )

/** The plugin. Needs `Dns` when `arc-verify` did not run before it (it validates the chain itself then). */
export const plugin = (options: Options): Plugin.Plugin<ArcSealConfigError, Dns.Dns> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      yield* checkKey(options.seal)
      const resolver = yield* Resolver.fromContext
      const authservId = options.authservId ?? os.hostname()
      const isLocal = options.isLocal ?? LocalDomains.isLocal
      const validateOptions: ArcVerify.ValidateOptions = {
        resolver,
        timeout: options.timeout ?? ArcVerify.defaults.timeout,
        minBitLength: ArcVerify.defaults.minBitLength
      }
      const relayed = (transaction: Session.Transaction) =>
        Effect.map(Effect.forEach(transaction.recipients, (r) => isLocal(transaction, r)), (local) => local.some((l) => !l))
      return {
        message: Effect.fn("ArcSeal.message")(function*(transaction: Session.Transaction, message: Message.Message) {
          if (options.sealExempt !== true && Client.isExempt(transaction.connection)) return Verdict.next
          if (!(yield* relayed(transaction))) return Verdict.next
          const known = yield* Results.Arc.get(transaction)
          const chain = Option.isSome(known) ? known.value : yield* ArcVerify.validate(transaction, message, validateOptions)
          const cv = chainValidation(chain)
          yield* Effect.annotateCurrentSpan({ arc: chain.status.result, cv: cv ?? "not sealed" })
          if (cv === undefined) return Verdict.next
          const parse = yield* Chain.parse(transaction, message, validateOptions)
          const authResults = yield* authenticationResults(transaction, authservId)
          const signTime = new Date(yield* Clock.currentTimeMillis)
          const sealed = yield* Effect.promise(() =>
            createSeal(false, {
              headers: parse.headers,
              arc: parse.arc,
              seal: {
                ...options.seal,
                // mailauth's signer reads the list as a colon-separated string (its .d.ts says an array).
                ...(options.seal.headerList === undefined ? {} : { headerList: options.seal.headerList.join(":") }),
                algorithm: options.seal.algorithm ?? "rsa-sha256",
                i: (typeof chain.i === "number" ? chain.i : 0) + 1,
                cv,
                authResults,
                signTime,
                bodyHash: parse.bodyHash
              }
            })
          )
          return Verdict.continueWith(sealed.headers.map(toHeader))
        })
      }
    })
  )
