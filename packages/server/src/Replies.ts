/**
 * The replies this package itself decides (as opposed to plugins and smtp-server): the one place their texts are
 * defined. Rendered by `SmtpReply`, so their enhanced codes reach the wire exactly (see ReplyPatch).
 *
 * @since 0.1.0
 */
import { Replies as Pipeline } from "@cartero/core"
import { SmtpReply } from "@cartero/smtp"

/** What the pipeline answers for failures (`Verdict.tempFail`), for the same cases outside the pipeline. */
export const tempFail = Pipeline.tempFail.reply
/** A failed AUTH when no hook chose a reply (the pipeline's default-deny). */
export const authInvalid = Pipeline.authInvalid.reply
/** MAIL on a listener that requires AUTH (RFC 4954 §6). */
export const authRequired = SmtpReply.make(530, "5.7.0", "Authentication required")
/** AUTH before TLS on a listener that is not trusted (RFC 4954 §4; smtp-server's wording). */
export const startTlsFirst = SmtpReply.make(538, "5.7.11", "Must issue a STARTTLS command first")
/** AUTH without any way to get TLS on an untrusted listener. */
export const encryptionRequired = SmtpReply.make(538, "5.7.11", "Encryption required for requested authentication mechanism")
/** AUTH on a listener where it is off (Postfix's wording). */
export const authNotEnabled = SmtpReply.make(503, "5.5.1", "Error: authentication not enabled")
/** Too many failed AUTH attempts on one connection. */
export const tooManyAuthFailures = SmtpReply.make(421, "4.7.0", "Too many authentication failures, closing connection")
/** A malformed reverse path (RFC 3463: 5.1.7 bad sender's mailbox address syntax). */
export const badSender = (detail: string) => SmtpReply.make(501, "5.1.7", `Bad sender address syntax: ${detail}`)
/** A malformed forward path (5.1.3 bad destination mailbox address syntax). */
export const badRecipient = (detail: string) => SmtpReply.make(501, "5.1.3", `Bad recipient address syntax: ${detail}`)
/** UTF-8 in an address without the SMTPUTF8 parameter (RFC 6531 §3.5, RFC 6533 5.6.7). */
export const utf8NotPermitted = SmtpReply.make(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter")
/** A malformed DSN parameter (RFC 3461 §4); `text` names it (`DsnParams`). */
export const badDsnParameter = (text: string) => SmtpReply.make(501, "5.5.4", text)
/** An ESMTP parameter we do not implement (RFC 5321 §4.1.1.11, RFC 1869). */
export const unsupportedParameter = (name: string) =>
  SmtpReply.make(555, "5.5.4", `Unsupported parameter ${name.replace(/[^A-Za-z0-9-]/g, "?").slice(0, 32)}`)
/** RCPT without a transaction we know of (smtp-server checks first; a guard only). */
export const needMail = SmtpReply.make(503, "5.5.1", "Error: need MAIL command")
/** A command that needs a greeting first (smtp-server's wording, for BDAT which the library does not know). */
export const heloFirst = SmtpReply.make(503, "5.5.1", "Error: send HELO/EHLO first")
/** BDAT without an accepted recipient (smtp-server's wording for DATA). */
export const needRcpt = SmtpReply.make(503, "5.5.1", "Error: need RCPT command")
/** A malformed BDAT line (RFC 3030 §2); its chunk cannot be located, so what follows is read as commands. */
export const bdatSyntax = SmtpReply.make(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]")
/** A chunk that is not the last was received (RFC 3030 §2). */
export const chunkReceived = (octets: number) => SmtpReply.make(250, "2.0.0", `${octets} octets received`)
/** DATA once a BDAT transfer started (RFC 3030 §2: the two are not mixed in one transaction). */
export const dataAfterBdat = SmtpReply.make(503, "5.5.1", "Error: DATA cannot follow BDAT in one transaction")
/** DATA in a `BODY=BINARYMIME` transaction (RFC 3030 §3: such a message travels by BDAT only). */
export const binaryMimeNeedsBdat = SmtpReply.make(503, "5.5.1", "Error: BODY=BINARYMIME requires BDAT, not DATA")
/** The message is over the size limit (RFC 1870 §6.2, RFC 3463 5.3.4). */
export const messageTooBig = (limit: number) =>
  SmtpReply.make(552, "5.3.4", `Message size exceeds fixed maximum message size ${limit}`)
/** A bare LF in the message (RFC 5321 §2.3.8; Postfix-like). */
export const bareLf = SmtpReply.make(550, "5.6.0", "Message contains bare LF; RFC 5321 requires CRLF line endings")
/** A bare CR in the message. */
export const bareCr = SmtpReply.make(550, "5.6.0", "Message contains bare CR; RFC 5321 requires CRLF line endings")
/** A line over 998 octets (RFC 5322 §2.1.1). */
export const lineTooLong = SmtpReply.make(550, "5.6.0", "Message contains a line longer than 998 octets (RFC 5322 2.1.1)")
/** An over-long command line (the session goes on). */
export const commandTooLong = SmtpReply.make(500, "5.5.2", "Error: line too long")
/** Sent to sessions without a transaction in progress once shutdown started (RFC 3463 4.3.2 system not accepting). */
export const shuttingDown = SmtpReply.make(421, "4.3.2", "Service shutting down, please try again later")
/** The session reached the hard error limit (Postfix's wording), or a junk command beyond the junk limit did. */
export const tooManyErrors = SmtpReply.make(421, "4.7.0", "Error: too many errors, closing connection")
/** More `Received:` fields than the hop limit: a mail loop (RFC 5321 §6.3; RFC 3463 5.4.6 routing loop detected). */
export const tooManyHops = (hops: number, limit: number) =>
  SmtpReply.make(554, "5.4.6", `Too many hops: ${hops} Received: fields and the limit is ${limit}; a mail loop?`)
/** The header block does not end within the spill threshold (what is kept in memory); Postfix's `header_size_limit`. */
export const headerTooBig = (limit: number) =>
  SmtpReply.make(552, "5.3.4", `Message header exceeds ${limit} octets`)
/** The message could not be written to the spill directory (disk full): try later; 4.3.1 "mail system full". */
export const spillFailed = SmtpReply.make(452, "4.3.1", "Insufficient system storage, please try again later")
/** The listener has as many connections open as it takes (`maxClients`); sent instead of the banner. */
export const tooManyClients = SmtpReply.make(421, "4.7.0", "Error: too many connections, try again later")
/**
 * The client (its IPv4 address or IPv6 /64) has as many connections open as it may (`maxClientsPerIp`); sent
 * instead of the banner. `client` is the socket's address, never text from the client.
 */
export const tooManyFromClient = (client: string) =>
  SmtpReply.make(421, "4.7.0", `Error: too many connections from ${client}`)
/** The client opened more connections in the last minute than it may (`maxConnectionRate`); sent instead of the banner. */
export const connectionRateExceeded = (client: string) =>
  SmtpReply.make(421, "4.7.0", `Error: too many connections from ${client} in the last minute, try again later`)
/** The client failed AUTH too often recently (`authFailureLimit`); AUTH is refused until its window is over (RFC 4954 §6). */
export const authThrottled = SmtpReply.make(454, "4.7.0", "Too many failed authentication attempts, try again later")
/** The client took longer than `dataTimeout` to send a message (RFC 3463 4.4.2: bad connection). */
export const dataTimeout = SmtpReply.make(421, "4.4.2", "Error: timeout exceeded while receiving the message, closing connection")
/** The connection lasted longer than `sessionTimeout`. */
export const sessionTimeout = SmtpReply.make(421, "4.4.2", "Error: session time limit exceeded, closing connection")
/** The default reply once the queue accepted the message. */
export const queued = (id: string) => SmtpReply.make(250, "2.6.0", `Message queued as ${id}`)
