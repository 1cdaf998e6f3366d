/**
 * The SMTP envelope of one transaction: the reverse path, the recipients and their ESMTP parameters
 * (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 3461 DSN RET/ENVID/NOTIFY/ORCPT, RFC 8689 REQUIRETLS).
 *
 * Defined as Schemas so that queues and logs serialise envelopes through one codec: an address or parameter can
 * never inject structure into a stored record.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** A mailbox, as data (see `Address` for parsing and formatting). */
export const AddressSchema = Schema.Struct({ localPart: Schema.String, domain: Schema.String })

/** BODY= values (RFC 6152, RFC 3030). */
export const BodyType = Schema.Literals(["7BIT", "8BITMIME", "BINARYMIME"])
export type BodyType = typeof BodyType.Type

/** DSN NOTIFY= values (RFC 3461 §4.1). `NEVER` excludes the others. */
export const Notify = Schema.Literals(["NEVER", "SUCCESS", "FAILURE", "DELAY"])
export type Notify = typeof Notify.Type

/** DSN RET= values (RFC 3461 §4.3). */
export const Ret = Schema.Literals(["FULL", "HDRS"])
export type Ret = typeof Ret.Type

/** Parameters of MAIL FROM. */
export const MailParams = Schema.Struct({
  size: Schema.optional(Schema.Number),
  body: Schema.optional(BodyType),
  smtpUtf8: Schema.Boolean,
  ret: Schema.optional(Ret),
  /** ENVID (RFC 3461 §4.4), decoded from xtext (what the sender meant; encoded again when passed on). */
  envid: Schema.optional(Schema.String),
  requireTls: Schema.optional(Schema.Boolean)
})
export type MailParams = typeof MailParams.Type

/** One recipient with its RCPT TO parameters. */
export const Recipient = Schema.Struct({
  address: AddressSchema,
  notify: Schema.optional(Schema.Array(Notify)),
  /** ORCPT (RFC 3461 §4.2) as `addr-type;address`, the address decoded from xtext (e.g. `rfc822;bob@example.org`). */
  orcpt: Schema.optional(Schema.String)
})
export type Recipient = typeof Recipient.Type

/** The envelope. `mailFrom` is `null` for the null reverse path `<>` (bounces). */
export const Envelope = Schema.Struct({
  mailFrom: Schema.NullOr(AddressSchema),
  params: MailParams,
  recipients: Schema.Array(Recipient)
})
export type Envelope = typeof Envelope.Type

/** Default MAIL parameters (plain 7-bit transaction). */
export const defaultParams: MailParams = { smtpUtf8: false }

/** Builds an envelope. */
export const make = (
  mailFrom: Envelope["mailFrom"],
  recipients: ReadonlyArray<Recipient>,
  params: MailParams = defaultParams
): Envelope => ({ mailFrom, params, recipients })

/** Recipients grouped by (lower-cased) domain, in first-seen order: one SMTP transaction per destination. */
export const byDomain = (recipients: ReadonlyArray<Recipient>): Map<string, Array<Recipient>> => {
  const groups = new Map<string, Array<Recipient>>()
  for (const r of recipients) {
    const key = r.address.domain.toLowerCase()
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [r])
    else group.push(r)
  }
  return groups
}
