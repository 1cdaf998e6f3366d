/**
 * The `arc-verify` plugin (RFC 8617 §5.2): in the `message` phase, validate the ARC chain of the message as received
 * with mailauth and record its `ARCResult` in `Results.Arc` (`@cartero/mail-auth`): `none` (no ARC sets), `pass`, or
 * `fail` with mailauth's reason. DMARC reads it (a local policy may accept a DMARC failure with a passing chain
 * from a trusted sealer, RFC 8617 §7.2), the sealer reads it for `cv=`.
 *
 * It never refuses a message: an ARC result is information for other policies (RFC 8617 §7.2).
 *
 * Put it after `dkim-verify` (whose parse of the message it reuses) and before `dmarc`. ARC has no temporary
 * result: a key that cannot be fetched, like any other failure, makes the chain `fail` (mailauth's reading of
 * RFC 8617 §5.2); so does a verification that runs out of time.
 *
 * @since 0.1.0
 */
import { type Message, Plugin, type Session } from "@cartero/core"
import type { Dns } from "@cartero/dns"
import { Client, Resolver, Results } from "@cartero/mail-auth"
import { Verdict } from "@cartero/smtp"
import { Data, Duration, Effect } from "effect"
import { arc, type ARCResult, type DNSResolver } from "mailauth"
import * as Chain from "./Chain.ts"

/** The plugin's name, as it appears in span names and logs. */
export const name = "arc-verify"

/** Options, given in code (or in `cartero.config.ts`). */
export interface Options {
  /** Time for the whole validation (key lookups included); past it, `arc=fail`. Default 15 seconds. */
  readonly timeout?: Duration.Input
  /** Shortest RSA key accepted, bits (mailauth's `minBitLength`). Default 1024. */
  readonly minBitLength?: number
  /** Also validate mail of authenticated users and trusted clients (`Client.isExempt`). Default false. */
  readonly verifyExempt?: boolean
}

/** Defaults of {@link Options}. */
export const defaults = {
  timeout: Duration.seconds(15),
  minBitLength: 1024,
  verifyExempt: false
} as const

/** The result recorded when validation did not finish in time. */
export const timedOut: ARCResult = {
  i: false,
  status: { result: "fail", comment: "verification timed out" },
  info: "arc=fail (verification timed out)"
}

/** mailauth failed on the chain (a defect in it, or input it could not cope with). */
export class ArcError extends Data.TaggedError("ArcError")<{ readonly cause: unknown }> {
  override get message(): string {
    return `ARC validation failed: ${this.cause instanceof Error ? this.cause.message : String(this.cause)}`
  }
}

/** The result recorded when mailauth could not process the message. */
export const unverifiable: ARCResult = {
  i: false,
  status: { result: "fail", comment: "message could not be verified" },
  info: "arc=fail (message could not be verified)"
}

/** How {@link validate} works. */
export interface ValidateOptions {
  readonly resolver: DNSResolver
  readonly timeout: Duration.Input
  readonly minBitLength: number
}

/**
 * Validates the chain of the transaction's message (reusing the parse of the DKIM verifier when it ran). Only a
 * message that cannot be read back fails; anything mailauth cannot process is a failed chain ({@link unverifiable}).
 */
export const validate = (
  transaction: Session.Transaction,
  message: Message.Message,
  options: ValidateOptions
): Effect.Effect<ARCResult, Message.MessageReadError> =>
  Effect.gen(function*() {
    const parse = yield* Chain.parse(transaction, message, options)
    return yield* Effect.tryPromise({
      try: () => arc(Chain.data(parse), { resolver: options.resolver, minBitLength: options.minBitLength }),
      catch: (cause) => new ArcError({ cause })
    })
  }).pipe(
    Effect.timeoutOrElse({ duration: options.timeout, orElse: () => Effect.succeed(timedOut) }),
    Effect.catchTags({
      ArcError: (error) => Effect.logWarning("ARC validation failed", error.cause).pipe(Effect.as(unverifiable)),
      DkimVerifyError: (error) => Effect.logWarning("ARC validation failed", error.cause).pipe(Effect.as(unverifiable))
    })
  )

/** The hooks, for a resolver and options. */
export const hooks = (resolver: DNSResolver, options: Options = {}) => {
  const validateOptions: ValidateOptions = {
    resolver,
    timeout: options.timeout ?? defaults.timeout,
    minBitLength: options.minBitLength ?? defaults.minBitLength
  }
  const verifyExempt = options.verifyExempt ?? defaults.verifyExempt
  return {
    message: Effect.fn("ArcVerify.message")(function*(transaction: Session.Transaction, message: Message.Message) {
      if (!verifyExempt && Client.isExempt(transaction.connection)) return Verdict.next
      const result = yield* validate(transaction, message, validateOptions)
      yield* Results.Arc.set(transaction, result)
      yield* Effect.annotateCurrentSpan({ arc: result.status.result, instance: result.i })
      return Verdict.next
    })
  }
}

/** The plugin. Needs `Dns` (`@cartero/dns`) for the sealers' keys. */
export const plugin = (options: Options = {}): Plugin.Plugin<never, Dns.Dns> =>
  Plugin.make(
    name,
    Effect.gen(function*() {
      return hooks(yield* Resolver.fromContext, options)
    })
  )
