/**
 * The replies the plugin model itself decides: the defaults of the default-deny phases and of a `queue` phase that
 * stored nothing. Plugins that refuse for the same reason return these very verdicts (the relay policy's "Relaying
 * denied", an auth plugin's "credentials invalid"), so the text is defined once.
 *
 * @since 0.1.0
 */
import { Verdict } from "@cartero/smtp"

/** `rcptTo` when no plugin accepted the recipient: no open relay by construction. */
export const relayDenied = Verdict.reject("5.7.1", "Relaying denied")
/** `auth` when no plugin accepted the credentials (RFC 4954 §6). */
export const authInvalid = Verdict.reject("5.7.8", "Authentication credentials invalid", { code: 535 })
/** `queue` when not every recipient was stored: what was stored is rolled back. */
export const notStored = Verdict.defer("4.3.0", "Message could not be stored, please try again later")
/** A hook failed, died or timed out (the detail is in the log only). */
export const tempFail = Verdict.tempFail
