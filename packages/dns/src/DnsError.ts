/**
 * The ways a lookup can fail, as one tagged error with a `reason`, because callers mostly ask one question of it:
 * "try again later, or give up?" (RFC 5321 §4.5.4.1 / §5.1). {@link isTemporary} and {@link isPermanent} answer
 * that, so delivery code never re-derives it from rcodes.
 *
 * | reason | DNS | class |
 * |---|---|---|
 * | `NxDomain` | rcode 3: the name does not exist | permanent |
 * | `NoData` | rcode 0 without records of the asked type (the name exists) | permanent for that type; for MX it means "use the implicit MX" |
 * | `ServFail` | rcode 2, or any other unexpected rcode | temporary |
 * | `Refused` | rcode 5 | temporary (another resolver or later may answer) |
 * | `Timeout` | no answer from any nameserver in time, after retries | temporary |
 * | `InvalidQuery` | the question itself is unusable (e.g. PTR of a non-IP) | permanent |
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** Why a lookup failed. */
export type Reason = "NxDomain" | "NoData" | "ServFail" | "Refused" | "Timeout" | "InvalidQuery"

/** A failed lookup of `name`/`type`. */
export class DnsError extends Data.TaggedError("DnsError")<{
  readonly name: string
  /** Record type asked for, e.g. `MX`. */
  readonly type: string
  readonly reason: Reason
  readonly detail: string
}> {
  override get message(): string {
    return `${this.type} ${this.name}: ${this.reason} (${this.detail})`
  }
}

const temporary: ReadonlySet<Reason> = new Set(["ServFail", "Refused", "Timeout"])

/** A temporary failure: retry later (SMTP 4yz, requeue). */
export const isTemporary = (error: DnsError): boolean => temporary.has(error.reason)

/** An authoritative negative answer or an impossible question: retrying will not help (SMTP 5yz, bounce). */
export const isPermanent = (error: DnsError): boolean => !isTemporary(error)
