/**
 * The replies this package writes itself: the synthetic SMTP replies a recipient gets when no remote server gave a
 * verdict (no session, a session that broke, a message the server cannot take, a routing decision, a local
 * failure). They are recorded like a server's reply (marked `synthetic`, see `DeliveryResult`): the queue's
 * last reply, the log lines, a DSN's `Diagnostic-Code`. So their text and codes are what operators and senders read,
 * and defining every one of them here keeps one wording per situation and the same enhanced code for the same cause,
 * reviewable in one place. The callers decide *when* a reply applies; this module says *what* it is.
 *
 * Temporary ones are `451` with a `4.x.x` code (the recipient is retried); permanent ones a `5yz` with a `5.x.x`
 * code (it bounces). Enhanced codes are RFC 3463's unless noted.
 *
 * @since 0.1.0
 */
import { SmtpReply } from "@cartero/smtp"

// Connecting: no usable session with a host (ConnectError.toReply). Always 4yz: a host being unreachable says
// nothing permanent about the recipients. `where` is `host[address]:port`.

/** Nothing listens at `where` (TCP RST); 4.4.1 "no answer from host". */
export const connectionRefused = (where: string) => SmtpReply.make(451, "4.4.1", `connection refused by ${where}`)

/** No route to `where` at the socket level (EHOSTUNREACH, ENETUNREACH, ENOTFOUND, …); 4.4.1. */
export const hostUnreachable = (where: string, detail: string) => SmtpReply.make(451, "4.4.1", `${where} unreachable: ${detail}`)

/** The TCP connect, the greeting, EHLO or the TLS handshake took too long; 4.4.1. */
export const connectTimeout = (where: string, detail: string) => SmtpReply.make(451, "4.4.1", `timeout talking to ${where}: ${detail}`)

const tls = (code: "4.7.4" | "4.7.5", where: string, detail: string) => SmtpReply.make(451, code, `TLS with ${where}: ${detail}`)

/** TLS is required and the server does not offer STARTTLS; 4.7.4 "security features not supported", as Postfix. */
export const tlsNotOffered = (where: string, detail: string) => tls("4.7.4", where, detail)

/** TLS is required and STARTTLS was refused, the handshake failed or the certificate did not verify; 4.7.5, as Postfix. */
export const tlsFailed = (where: string, detail: string) => tls("4.7.5", where, detail)

/** The server greeted with something other than `220`, or refused both EHLO and HELO; 4.4.2 "bad connection". */
export const sessionNotAccepted = (where: string, detail: string) =>
  SmtpReply.make(451, "4.4.2", `${where} did not accept a session: ${detail}`)

/** The connection closed or broke, during the greeting and EHLO or in the middle of a transaction; 4.4.2. */
export const connectionLost = (where: string, detail: string) => SmtpReply.make(451, "4.4.2", `connection to ${where} lost: ${detail}`)

/**
 * The session could not be authenticated (AUTH not offered, not encrypted, or refused; the server's reply is in the
 * detail). Deferred, not bounced: a wrong password is our configuration problem (Postfix
 * `smtp_sasl_auth_soft_bounce`, on by default).
 */
export const authenticationFailed = (where: string, detail: string) =>
  SmtpReply.make(451, "4.7.0", `authentication with ${where} failed: ${detail}`)

// The transaction: a session that broke before every recipient had a verdict (4yz, Transaction.run), and messages
// the server cannot take, refused before MAIL (5yz: retrying would not change the server's capabilities).

/** The session ended without a verdict for a recipient and without a known cause; 4.4.2. */
export const noVerdict = (where: string) => SmtpReply.make(451, "4.4.2", `no verdict from ${where}`)

/** A reply or a write took longer than its RFC 5321 §4.5.3.2 timeout; 4.4.2. */
export const sessionTimeout = (where: string, detail: string) => SmtpReply.make(451, "4.4.2", `timeout with ${where}: ${detail}`)

/**
 * The server broke the protocol: a line that is not an SMTP reply, an overlong line, a multi-line reply whose lines
 * disagree on the code, replies nobody asked for (a flood); 4.5.0 "other or undefined protocol status". Deferred:
 * a broken server says nothing permanent about the recipients.
 */
export const protocolError = (where: string, detail: string) => SmtpReply.make(451, "4.5.0", `protocol error from ${where}: ${detail}`)

/**
 * The server answered with a code that cannot answer the step: `1yz`, a `3yz` where a completion was due, `0yz`,
 * `6yz`–`9yz` (RFC 5321 §4.2.1), or a `2yz` to DATA (the message was never sent). `detail` names the step and quotes
 * the reply, e.g. `to RCPT TO: 150 hmm`; 4.5.0, deferred, as for any protocol violation.
 */
export const unexpectedReply = (where: string, detail: string) => SmtpReply.make(451, "4.5.0", `unexpected reply from ${where} ${detail}`)

/** The streamed message failed while being sent (a local problem, not the server's); 4.3.0. */
export const messageReadFailed = (detail: string) => SmtpReply.make(451, "4.3.0", `local error reading the message: ${detail}`)

/**
 * A `BODY=BINARYMIME` message (RFC 3030 §3) and a server without CHUNKING and BINARYMIME (or chunking turned off):
 * bounced, not converted (docs/decisions/bdat-on-smtp-server.md); 5.6.3 "conversion required but not supported".
 */
export const binaryMimeUnsupported = (where: string) =>
  SmtpReply.make(554, "5.6.3", `${where} does not offer BINARYMIME with CHUNKING, required by this binary message`)

/** The message needs SMTPUTF8 and the server lacks it; `553 5.6.7` as RFC 6531 §3.7 has it. */
export const smtpUtf8Unsupported = (where: string) =>
  SmtpReply.make(553, "5.6.7", `${where} does not support SMTPUTF8, required by this message`)

/** The message has 8-bit content and the server lacks 8BITMIME (RFC 6152; no downgrade here); 5.6.3. */
export const eightBitMimeUnsupported = (where: string) =>
  SmtpReply.make(554, "5.6.3", `${where} does not support 8BITMIME and this message has 8-bit content`)

/** A REQUIRETLS message and a server without verified TLS or without REQUIRETLS; `5.7.30` (RFC 8689 §5). */
export const requireTlsUnavailable = (where: string) =>
  SmtpReply.make(550, "5.7.30", `REQUIRETLS: ${where} does not offer verified TLS with REQUIRETLS`)

/** The message is larger than the server's advertised SIZE; `552 5.3.4` (RFC 1870). */
export const messageTooBig = (where: string, size: number, limit: number) =>
  SmtpReply.make(552, "5.3.4", `message size ${size} exceeds the limit of ${limit} octets at ${where}`)

// Routing: a domain's route says not to try (Router; RFC 5321 §5.1). A domain that cannot receive mail bounces;
// DNS trouble, ours or the receiver's, defers (the queue's maximum age bounds the retries).

/** The domain publishes a null MX (`0 .`): it accepts no mail; `5.1.10` (RFC 7505 §4.2). */
export const nullMx = (domain: string) => SmtpReply.make(550, "5.1.10", `${domain} does not accept mail (null MX)`)

/** The domain does not exist (NXDOMAIN); 5.1.2 "bad destination system address". */
export const domainNotFound = (domain: string) => SmtpReply.make(550, "5.1.2", `${domain} does not exist (NXDOMAIN)`)

/** The domain cannot be a DNS name (its A-label form is empty, or DNS refused the query as invalid); 5.1.2. */
export const invalidDomain = (domain: string) => SmtpReply.make(550, "5.1.2", `${domain} is not a valid mail domain`)

/** No MX and the domain itself has no A/AAAA: it publishes no way to reach it; 5.4.4 "unable to route". */
export const noMxNoAddress = (domain: string) => SmtpReply.make(550, "5.4.4", `${domain} has no MX and no address record`)

const loop = (domain: string, via: string) => SmtpReply.make(554, "5.4.6", `mail for ${domain} loops back to myself${via}`)

/** The best MX host left is us (RFC 5321 §5.1): sending would loop; 5.4.6, in Postfix's words. */
export const loopViaMx = (domain: string, exchange: string) => loop(domain, ` (MX ${exchange})`)

/** The domain has no MX and its own address is one of ours; 5.4.6. */
export const loopViaImplicitMx = (domain: string) => loop(domain, " (implicit MX)")

/** An address literal (`user@[192.0.2.1]`) naming one of our own addresses; 5.4.6. */
export const loopViaAddressLiteral = (domain: string) => loop(domain, "")

/**
 * A static route or the smarthost points at one of our own listeners: our configuration is wrong, not the
 * destination; 5.3.5 "system incorrectly configured" (RFC 3463), as Postfix says for a relayhost that is itself.
 */
export const loopViaRelay = (domain: string, relay: string) =>
  SmtpReply.make(554, "5.3.5", `mail for ${domain} loops back to myself (relay ${relay} is one of my listeners)`)

/** The queued message carries more `Received:` fields than the hop limit: a mail loop (RFC 5321 §6.3); 5.4.6. */
export const tooManyHops = (hops: number, limit: number) =>
  SmtpReply.make(554, "5.4.6", `too many hops: ${hops} Received: fields and the limit is ${limit}; a mail loop?`)

/** The MX lookup itself failed (SERVFAIL, REFUSED, timeout); 4.4.3 "directory server failure". */
export const mxLookupFailed = (domain: string, reason: string) =>
  SmtpReply.make(451, "4.4.3", `DNS lookup of MX for ${domain} failed: ${reason}`)

/** No MX host has an address and some of their lookups failed temporarily; 4.4.3. */
export const mxHostsLookupFailed = (domain: string) =>
  SmtpReply.make(451, "4.4.3", `DNS lookup of the MX hosts of ${domain} failed temporarily`)

/** The MX hosts exist but none has an address: usually a transient mistake at the receiver, so deferred; 4.4.4. */
export const mxHostsWithoutAddress = (domain: string) => SmtpReply.make(451, "4.4.4", `no MX host of ${domain} has an address`)

/** No MX, and the lookup of the domain's own address (the implicit MX) failed temporarily; 4.4.3. */
export const implicitMxLookupFailed = (domain: string) => SmtpReply.make(451, "4.4.3", `DNS lookup of ${domain} failed temporarily`)

/** A relay (smarthost, static route, a `route` hook's) could not be resolved for now: our setup, never bounced; 4.4.3. */
export const relayLookupFailed = (relays: string) => SmtpReply.make(451, "4.4.3", `DNS lookup of relay ${relays} failed`)

/** A relay's name has no address: our configuration, so deferred, not bounced; 4.4.4. */
export const relayWithoutAddress = (relays: string) => SmtpReply.make(451, "4.4.4", `relay ${relays} has no address`)

// The worker: local failures of a delivery attempt (DeliveryWorker). Always 4yz: nothing is wrong with the mail.

/** No address of a route was tried (a route without hosts, or `maxAddresses` 0), so no connect error to report; 4.4.1. */
export const noHostTried = (domain: string) => SmtpReply.make(451, "4.4.1", `no host of ${domain} could be tried`)

/** The queued body could not be read back from the queue store; 4.3.0. */
export const queuedMessageUnreadable = SmtpReply.make(451, "4.3.0", "queued message unreadable")

/** A claim's delivery failed unexpectedly (a defect): the report's route; the lease expires, the work is retried; 4.3.0. */
export const internalError = SmtpReply.make(451, "4.3.0", "internal error")

// Plugins: outbound hooks that could not complete (OutboundPipeline).

/** A `route` or `beforeSend` hook failed, died or timed out: the claim is deferred (never sent unsigned, say); 4.3.0. */
export const hookFailed = SmtpReply.make(451, "4.3.0", "Temporary local problem (outbound plugin)")
