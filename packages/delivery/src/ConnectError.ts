/**
 * Failures before a transaction could start, and failures of an established session.
 *
 * A {@link ConnectError} is what the routing layer acts on: try the next MX host, and when none is left defer every
 * recipient with {@link ConnectError.toReply} (always a 4yz: a host being unreachable says nothing permanent about
 * the recipients). A {@link SessionError} is internal to the client: it marks the connection broken and becomes
 * deferred results; it never reaches the caller.
 *
 * @since 0.1.0
 */
import type { SmtpReply } from "@cartero/smtp"
import { Data } from "effect"
import { describeRemote } from "./DeliveryResult.ts"
import * as Replies from "./Replies.ts"

/**
 * Why no usable session could be established:
 * - `refused`: TCP RST (nothing listens);
 * - `unreachable`: routing/DNS-level failure of the socket (EHOSTUNREACH, ENETUNREACH, ENOTFOUND, …);
 * - `timeout`: connect, greeting, EHLO or TLS handshake took too long;
 * - `tls`: STARTTLS required but not offered, refused, handshake failed, or certificate not verified;
 * - `greeting`: the server greeted with something other than `220` (e.g. `554 no service`) or rejected EHLO and HELO;
 * - `protocol`: the server broke the protocol during the greeting, EHLO, STARTTLS or AUTH: a line that is not a
 *   reply, an overlong line, lines that disagree on the code, replies nobody asked for;
 * - `unexpected`: it answered with a code that cannot answer the step (`150` to EHLO, `999` as greeting); `detail`
 *   is the step and the reply, e.g. `to EHLO: 999 nine`;
 * - `closed`: the server closed the connection (or it broke) during the greeting or EHLO;
 * - `auth`: the request carries credentials and the session could not be authenticated: AUTH (or a mechanism we
 *   speak) not offered, the session not encrypted while plaintext AUTH is not allowed, or the server refused
 *   (`535 5.7.8` bad credentials, `454 4.7.0` temporary failure, …). Deferred like every connect failure: a wrong
 *   password is our configuration problem, not the recipients' (Postfix `smtp_sasl_auth_soft_bounce`, default on).
 */
export type ConnectErrorReason =
  | "refused"
  | "unreachable"
  | "timeout"
  | "tls"
  | "greeting"
  | "protocol"
  | "unexpected"
  | "closed"
  | "auth"

/** No session with `host:port`. */
export class ConnectError extends Data.TaggedError("ConnectError")<{
  readonly reason: ConnectErrorReason
  readonly host: string
  readonly port: number
  /** The IP connected to (or asked to connect to, when the request named one), when known. */
  readonly address: string | undefined
  readonly detail: string
  /** The server's reply that ended the attempt (a greeting `554`, a STARTTLS `454`), when there was one. */
  readonly reply: SmtpReply.SmtpReply | undefined
}> {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }

  /**
   * The synthetic 4yz reply that defers every recipient when no host was usable, e.g.
   * `451 4.4.1 connection refused by 127.0.0.1:25`: one of the "connecting" replies of {@link Replies}, by reason
   * (the server's own reply, e.g. an AUTH `535`, kept in the detail, as Postfix's soft bounce does).
   */
  toReply(): SmtpReply.SmtpReply {
    const where = describeRemote(this)
    switch (this.reason) {
      case "refused":
        return Replies.connectionRefused(where)
      case "unreachable":
        return Replies.hostUnreachable(where, this.detail)
      case "timeout":
        return Replies.connectTimeout(where, this.detail)
      case "tls":
        return this.detail.includes("not offered") ? Replies.tlsNotOffered(where, this.detail) : Replies.tlsFailed(where, this.detail)
      case "greeting":
        return Replies.sessionNotAccepted(where, this.detail)
      case "protocol":
        return Replies.protocolError(where, this.detail)
      case "unexpected":
        return Replies.unexpectedReply(where, this.detail)
      case "closed":
        return Replies.connectionLost(where, this.detail)
      case "auth":
        return Replies.authenticationFailed(where, this.detail)
    }
  }
}

/**
 * Why an established session broke. `protocol`: something that is not a well-formed reply, or a reply nobody asked
 * for. `unexpected`: a well-formed reply that cannot answer the step (detail `to RCPT TO: 150 hmm`).
 */
export type SessionErrorReason = "timeout" | "closed" | "protocol" | "unexpected" | "write" | "tls" | "source"

/** An established session broke; the connection is discarded and the transaction deferred. Internal. */
export class SessionError extends Data.TaggedError("SessionError")<{
  readonly reason: SessionErrorReason
  /** What we were doing, e.g. `waiting for the reply to RCPT TO`. */
  readonly detail: string
}> {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}
