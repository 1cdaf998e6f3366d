/**
 * What every delivery status notice we send (failure: `Bounce`, delay: `DelayNotice`, success: `SuccessNotice`)
 * takes from the envelope of the message it reports on (RFC 3461, RFC 3464):
 *
 * - whether the recipient asked for it ({@link wants}): `NOTIFY` absent means failures and delays (RFC 3461 §4.1
 *   leaves delays to the MTA; we send them when delay notices are on), never successes; `NOTIFY=NEVER` means none;
 * - `Original-Recipient` from the recipient's `ORCPT` ({@link originalRecipient}), only when the sender gave one
 *   (RFC 3464 §2.3.1); `Original-Envelope-Id` from `ENVID` likewise (the callers pass `envelope.params.envid`);
 * - the notice's own envelope ({@link envelopeTo}): from `<>`, so that no notice is ever answered by another.
 *
 * @since 0.1.0
 */
import type { Dsn } from "@cartero/mime"
import { Address, Envelope } from "@cartero/smtp"

/** The kinds of notice a recipient may ask for. */
export type Kind = "SUCCESS" | "FAILURE" | "DELAY"

/** Whether `recipient` wants a notice of `kind`. */
export const wants = (recipient: Envelope.Recipient, kind: Kind): boolean =>
  recipient.notify === undefined ? kind !== "SUCCESS" : recipient.notify.includes(kind)

/** The `Original-Recipient` of a report: the recipient's ORCPT (`type;address`, stored decoded), if any. */
export const originalRecipient = (
  recipient: Envelope.Recipient
): Pick<Dsn.Recipient, "originalRecipient" | "originalRecipientType"> => {
  if (recipient.orcpt === undefined) return {}
  const semi = recipient.orcpt.indexOf(";")
  if (semi <= 0) return { originalRecipient: recipient.orcpt.trim() }
  return { originalRecipientType: recipient.orcpt.slice(0, semi).trim(), originalRecipient: recipient.orcpt.slice(semi + 1).trim() }
}

/** The envelope of a notice to `sender`: null reverse path, SMTPUTF8 and 8BITMIME only when needed. */
/** Who reports and who is told, in every notice: `Reporting-MTA`, `MAILER-DAEMON@<hostname>`, the sender. */
export const parties = (hostname: string, sender: Address.Address): Pick<Dsn.Spec, "reportingMta" | "from" | "to"> => ({
  reportingMta: hostname,
  from: `MAILER-DAEMON@${hostname}`,
  to: Address.format(sender)
})

export const envelopeTo = (sender: Address.Address, body: Uint8Array): Envelope.Envelope =>
  Envelope.make(null, [{ address: sender }], {
    smtpUtf8: Address.isInternational(sender),
    body: body.some((b) => b > 0x7f) ? "8BITMIME" : "7BIT"
  })
