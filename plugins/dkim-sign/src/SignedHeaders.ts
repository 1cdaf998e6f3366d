/**
 * Which header fields a signature covers (`h=`), and which it oversigns.
 *
 * Every instance of a listed field that the message has is signed. An *oversigned* field is also listed once more
 * than it occurs (RFC 6376 §5.4.2, §8.15): a verifier finds no instance for the extra name, which then stands for
 * "no further instance", so a second `From:` or `Subject:` added on the way (which many mail readers would show
 * instead of the signed one) breaks the signature instead of riding on it. Oversigning a field the message lacks
 * forbids adding it.
 *
 * The defaults are mailauth's signed fields plus `List-Unsubscribe-Post` (RFC 8058 §4 asks that the signature cover
 * it, and the large mailbox providers require one-click unsubscribe to be signed); oversigned are the fields a
 * reader trusts most, the set rspamd oversigns unconditionally (docs/decisions/dkim-signed-headers.md).
 *
 * @since 0.1.0
 */
import { Data, Result } from "effect"

/** The fields signed by default (every instance present). */
export const defaults: ReadonlyArray<string> = [
  "From", "Sender", "Reply-To", "Subject", "Date", "Message-ID", "To", "Cc",
  "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-ID", "Content-Description",
  "Resent-Date", "Resent-From", "Resent-Sender", "Resent-To", "Resent-Cc", "Resent-Message-ID",
  "In-Reply-To", "References",
  "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", "List-Post", "List-Owner", "List-Archive",
  "BIMI-Selector"
]

/** The fields oversigned by default. */
export const defaultOversigned: ReadonlyArray<string> = ["From", "Reply-To", "Subject", "To", "Cc"]

/** A signed-header configuration that cannot work. */
export class HeaderListError extends Data.TaggedError("DkimHeaderListError")<{ readonly reason: string }> {
  override get message(): string {
    return `DKIM signed headers: ${this.reason}`
  }
}

/** The checked lists: `signed` includes every oversigned field; names keep the case given, duplicates dropped. */
export interface HeaderList {
  readonly signed: ReadonlyArray<string>
  readonly oversigned: ReadonlyArray<string>
}

const fieldName = /^[\x21-\x39\x3b-\x7e]{1,76}$/

const unique = (names: ReadonlyArray<string>): Array<string> => {
  const seen = new Set<string>()
  return names.filter((n) => {
    const key = n.toLowerCase()
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * Checks and merges the lists. `From` must be signed (RFC 6376 §5.4); `DKIM-Signature` must not be listed (each
 * signature covers itself). An oversigned field not in `signed` is added to it: listing a field once more than it
 * occurs only means something when its occurrences are signed.
 */
export const make = (signed: ReadonlyArray<string> = defaults, oversigned: ReadonlyArray<string> = defaultOversigned): Result.Result<HeaderList, HeaderListError> => {
  const all = [...signed, ...oversigned].map((n) => n.trim())
  const bad = all.find((n) => !fieldName.test(n))
  if (bad !== undefined) return Result.fail(new HeaderListError({ reason: `${JSON.stringify(bad)} is not a header field name` }))
  if (all.some((n) => n.toLowerCase() === "dkim-signature")) return Result.fail(new HeaderListError({ reason: "DKIM-Signature cannot be listed (each signature covers itself)" }))
  const merged = unique(all)
  if (!merged.some((n) => n.toLowerCase() === "from")) return Result.fail(new HeaderListError({ reason: "From must be signed (RFC 6376 §5.4)" }))
  return Result.succeed({ signed: merged, oversigned: unique(oversigned.map((n) => n.trim())) })
}
