/**
 * A header field that a plugin asks to add to a message (e.g. `Authentication-Results`, `X-Spam-Score`).
 *
 * Names are RFC 5322 field names (printable ASCII but `:`); values may be long (they are folded when rendered)
 * but never contain CR, LF or NUL, so a hook cannot inject a header or end the header block.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** A header field to add. Build it with {@link make}. */
export interface Header {
  readonly name: string
  readonly value: string
}

/** Raised by {@link make} for a name or value that would corrupt the header block. */
export class InvalidHeader extends Data.TaggedError("InvalidHeader")<{ readonly name: string; readonly reason: string }> {
  override get message(): string {
    return `invalid header ${JSON.stringify(this.name)}: ${this.reason}`
  }
}

const fieldName = /^[\x21-\x39\x3b-\x7e]{1,76}$/
const forbidden = /[\u0000\r\n]/

/** Whether `name` is a valid RFC 5322 field name. */
export const isFieldName = (name: string): boolean => fieldName.test(name)

/**
 * Validates and builds a header. Throws {@link InvalidHeader} (a programming error in the calling plugin, which
 * the pipeline turns into a logged defect and a 451) for a bad name or a value with CR, LF or NUL.
 */
export const make = (name: string, value: string): Header => {
  if (!isFieldName(name)) throw new InvalidHeader({ name, reason: "field name must be 1-76 printable ASCII characters without ':'" })
  if (forbidden.test(value)) throw new InvalidHeader({ name, reason: "value contains CR, LF or NUL" })
  return { name, value: value.replace(/[\t ]+/g, " ").trim() }
}
