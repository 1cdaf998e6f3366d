/**
 * What the outbound client reports: per recipient `Delivered | Deferred | Failed`, each with the reply that decided
 * it and the remote host it came from (for DSN `Remote-MTA`, logs and the queue's "last reply").
 *
 * Classification follows the reply class (RFC 5321 §4.2.1, the first digit): 2yz delivered, 4yz deferred (retry
 * later), 5yz failed (bounce). A reply no class covers never gets here as a server's verdict: the client ends the
 * session on it and defers with `451 4.5.0 unexpected reply …` quoting it (`Transaction`); were one to arrive, it
 * would defer, never bounce. When the remote never gave a verdict (connection refused or lost, timeout, a local policy such as
 * "8-bit message, server lacks 8BITMIME"), the client writes a *synthetic* reply in the same shape, e.g.
 * `451 4.4.1 connection refused by 127.0.0.1:25` (every such reply is defined in `Replies`), and marks it
 * `synthetic: true` so a DSN does not present it as the remote server's words.
 *
 * @since 0.1.0
 */
import { type Envelope, SmtpReply } from "@cartero/smtp"

/** The TLS state of a session, when STARTTLS succeeded. */
export interface TlsInfo {
  /** Negotiated protocol, e.g. `TLSv1.3`. */
  readonly protocol: string | undefined
  /** Negotiated cipher name. */
  readonly cipher: string | undefined
  /** Whether the certificate verified against the policy's trust anchors and name. */
  readonly authorized: boolean
  /** Why it did not verify, when it did not (e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`). */
  readonly authorizationError: string | undefined
}

/** The server a transaction talked to. */
export interface Remote {
  /** The host name (or IP literal) the caller asked for, e.g. the MX name. */
  readonly host: string
  readonly port: number
  /** The IP address actually connected to, when a TCP connection was made. */
  readonly address: string | undefined
  /** The name the server gave in its greeting (first word after `220`), when known. */
  readonly greetingName: string | undefined
  /** Present when the session ran over TLS. */
  readonly tls: TlsInfo | undefined
}

/** The SMTP step a recipient's outcome was decided at. */
export type Stage = "connect" | "MAIL" | "RCPT" | "DATA" | "message"

interface Outcome<Tag extends string> {
  readonly _tag: Tag
  readonly recipient: Envelope.Recipient
  readonly reply: SmtpReply.SmtpReply
  readonly stage: Stage
  /** `true` when the reply was written by this client, not received from the server. */
  readonly synthetic: boolean
}

/** The server took responsibility for the message for this recipient (2yz after the final `.`). */
export interface Delivered extends Outcome<"Delivered"> {}
/** Temporary failure: keep the recipient queued and retry (4yz, or a connection problem). */
export interface Deferred extends Outcome<"Deferred"> {}
/** Permanent failure: bounce (5yz, or a local permanent condition such as a missing 8BITMIME). */
export interface Failed extends Outcome<"Failed"> {}

/** The outcome for one recipient. */
export type RecipientResult = Delivered | Deferred | Failed

/** The outcome of one transaction (one envelope, one message) with one server. */
export interface TransactionResult {
  readonly remote: Remote
  /** In envelope order, one per recipient. */
  readonly recipients: ReadonlyArray<RecipientResult>
  /** Whether the transaction ran on a pooled connection that had carried an earlier one. */
  readonly reusedConnection: boolean
  /**
   * The server advertised DSN (RFC 3461), so the DSN parameters went with the message and success notices are its
   * to send. Absent: it did not, or no session was made.
   */
  readonly dsn?: boolean
}

/**
 * Classifies `reply` for `recipient`: 2yz → Delivered, 5yz → Failed, anything else (4yz, and any code no class
 * covers: 1yz, 3yz, `0yz`, `6yz`–`9yz`) → Deferred. Treating a broken server's odd reply as permanent would bounce
 * mail because of it; temporary unless clearly permanent.
 */
export const classify = (
  recipient: Envelope.Recipient,
  reply: SmtpReply.SmtpReply,
  stage: Stage,
  synthetic = false
): RecipientResult => {
  const cls = SmtpReply.classOf(reply)
  const _tag = cls === 2 ? "Delivered" : cls === 5 ? "Failed" : "Deferred"
  return { _tag, recipient, reply, stage, synthetic }
}

/** Every recipient gets the same (usually synthetic) reply. */
export const all = (
  recipients: ReadonlyArray<Envelope.Recipient>,
  reply: SmtpReply.SmtpReply,
  stage: Stage,
  synthetic: boolean
): Array<RecipientResult> => recipients.map((r) => classify(r, reply, stage, synthetic))

/** Counts per outcome, for logs and metrics. */
export const summary = (result: TransactionResult): { delivered: number; deferred: number; failed: number } => {
  let delivered = 0
  let deferred = 0
  let failed = 0
  for (const r of result.recipients) {
    if (r._tag === "Delivered") delivered++
    else if (r._tag === "Deferred") deferred++
    else failed++
  }
  return { delivered, deferred, failed }
}

/** `host[address]:port`, the form used in synthetic replies and logs; a Unix socket (port 0) is its path. */
export const describeRemote = (remote: Pick<Remote, "host" | "port" | "address">): string =>
  remote.port === 0 && remote.address === undefined
    ? remote.host
    : remote.address === undefined || remote.address === remote.host
    ? `${remote.host}:${remote.port}`
    : `${remote.host}[${remote.address}]:${remote.port}`
