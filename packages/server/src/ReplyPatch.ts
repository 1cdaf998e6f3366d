/**
 * Getting our replies onto the wire exactly: `550 5.7.1 Relaying denied`, not `550 5.1.1 5.7.1 Relaying denied`.
 *
 * smtp-server writes every reply through `SMTPConnection.prototype.send(code, text, context)`, which prefixes an
 * enhanced status code looked up from the reply code (550 → 5.1.1, 451 → 4.3.0 …), so a hook cannot choose 5.7.1
 * and a code put in the text is doubled. This module wraps `send` once per process (see
 * docs/decisions/smtp-server-enhanced-codes.md):
 *
 * - text that already starts with an enhanced code (`x.y.z `) is ours, rendered by `SmtpReply`: it is written
 *   as is, and a text of several lines (joined by LF, which no sanitised reply line can contain) becomes a
 *   multi-line reply;
 * - a success reply a hook chose (`Accept` with a reply) replaces the library's fixed `250 Accepted`;
 * - everything else keeps the library's automatic code, which is sensible for its own replies (503 5.5.1,
 *   452 4.5.3, 552 5.3.4, 221 2.0.0 …), and non-ASCII text it echoes from the client becomes `?`;
 * - every reply is also reported to the listener's limits: 4yz/5yz replies are the session's errors, and the one
 *   that reaches the hard error limit is followed by `421 4.7.0` (`ListenerLimits`).
 *
 * Handlers pass our replies to the library with {@link toError} / {@link encode}: this file is the only place that
 * knows about `responseCode`.
 *
 * @since 0.1.0
 */
import { EnhancedCode, SmtpReply } from "@cartero/smtp"
import type { SMTPServerError } from "smtp-server"
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js"
import * as Replies from "./Replies.ts"
import * as ServerExtension from "./ServerExtension.ts"

const ours = /^[245]\.\d{1,3}\.\d{1,3}(?: |$)/

// Reply text is printable ASCII (RFC 5321 §4.2, textstring). smtp-server echoes some client text in its own replies
// (`501 Error: duplicate <parameter> parameter`): anything else becomes `?` (found by the fuzzer, fuzz/).
const unprintable = /[^\x20-\x7e]/
const printable = (text: string): string => (unprintable.test(text) ? text.replace(/[^\x20-\x7e]/g, "?") : text)

/** Ensures a reply carries an enhanced code (the generic `x.0.0` of its class when it has none). */
const withCode = (reply: SmtpReply.SmtpReply): SmtpReply.SmtpReply => {
  const cls = SmtpReply.classOf(reply)
  return reply.enhanced !== undefined || cls === undefined
    ? reply
    : SmtpReply.fromParts(reply.code, EnhancedCode.generic(cls), reply.lines)
}

/** The reply's text lines (enhanced code first) joined by LF, as the patched `send` recognises them. */
export const encode = (reply: SmtpReply.SmtpReply): string => SmtpReply.textLines(withCode(reply)).join("\n")

/** The error a smtp-server callback takes to answer `reply`. */
export const toError = (reply: SmtpReply.SmtpReply): SMTPServerError =>
  Object.assign(new Error(encode(reply)), { responseCode: reply.code })

/** Writes `reply` on a connection (used by the command wrappers). */
export const send = (connection: SMTPConnection, reply: SmtpReply.SmtpReply): void =>
  connection.send(reply.code, encode(reply))

let installed = false

/** Installs the `send` wrapper (idempotent). */
export const install = (): void => {
  if (installed) return
  installed = true
  const original = SMTPConnection.prototype.send
  const write = (
    connection: SMTPConnection,
    code: number,
    data: string | Array<string> | null | undefined,
    context: string | false | undefined
  ): void => {
    const extension = ServerExtension.lookup(connection._server)
    if (extension === undefined) return original.call(connection, code, data, context)
    if (code >= 200 && code < 300 && context !== false) {
      const chosen = extension.takeSuccessReply(connection.session)
      if (chosen !== undefined) {
        const lines = SmtpReply.textLines(withCode(chosen))
        return original.call(connection, chosen.code, lines.length === 1 ? lines[0] : lines, false)
      }
    }
    if (typeof data === "string" && ours.test(data)) {
      const lines = data.split("\n")
      return original.call(connection, code, lines.length === 1 ? lines[0] : lines, false)
    }
    return original.call(connection, code, typeof data === "string" ? printable(data) : data, context)
  }
  SMTPConnection.prototype.send = function(
    this: SMTPConnection,
    code: number,
    data?: string | Array<string> | null,
    context?: string | false
  ): void {
    write(this, code, data, context)
    const extension = ServerExtension.lookup(this._server)
    extension?.limits.metrics.reply(code)
    // Every error reply counts towards the session's error limits, and a delivered message starts them over
    // (ListenerLimits). A 2yz other than the end of DATA costs nothing more than these two comparisons.
    if ((code >= 400 || context === "DATA_OK") && code !== 421) {
      if (extension !== undefined && extension.limits.replied(this, code, context) === "Drop") {
        original.call(this, 421, encode(Replies.tooManyErrors), false)
      }
    }
  }
}
