/**
 * CHUNKING and BDAT (RFC 3030) on top of smtp-server, which has neither (its issue #109): the decision record is
 * docs/decisions/bdat-on-smtp-server.md. Installed once per process, like `CommandPatch`; every wrapper acts only
 * for servers registered in `ServerExtension` whose listener has `chunking` on.
 *
 * What is hooked, and why:
 * - `SMTPConnection.prototype.handler_BDAT` (new): smtp-server dispatches a command to `handler_<VERB>` when such a
 *   method exists, so defining it makes BDAT a command. It checks the line ({@link BdatCommand}) and the session
 *   (greeted, MAIL, RCPT), runs the `data` phase at the first chunk of a transaction, then has the parser read
 *   exactly the chunk's octets.
 * - `SMTPStream.prototype._write` (the command parser): while a chunk is expected, the octets go to the transfer
 *   instead of the line parser, and the octets after the chunk (pipelined commands, the next BDAT) go back to the
 *   line parser only once the chunk is answered. The parser is switched with its own `_dataMode` flag, which is
 *   what makes it hand the rest of a read over after the command line, and what the idle and DATA time bounds
 *   look at (`ListenerLimits`): a client that stops in the middle of a chunk times out as in DATA.
 * - `_resetSession` (RSET, HELO/EHLO, STARTTLS, end of a transaction) and `_onClose`: a transfer in progress is
 *   dropped with its spill file.
 * - `_validateMailParams`: accepts `BODY=BINARYMIME` where BINARYMIME is advertised (the library refuses any BODY
 *   but 7BIT and 8BITMIME); the library's `_applyMailParams` then records `bodyType: "binarymime"`.
 *
 * The EHLO keywords and the `503` to DATA in a BDAT transaction are given through `CommandPatch`, which already
 * wraps those handlers ({@link withKeywords}, {@link dataRefusal}).
 *
 * Rules (RFC 3030 §2, §3): every chunk is read in full before it is answered, a refused one too, so the stream
 * stays in step; once a chunk is refused the transaction is over (smtp-server's envelope is reset, as after DATA),
 * so the client's pipelined chunks after it get `503 5.5.1` (need MAIL) and are discarded as well. `BDAT 0 LAST`
 * ends a message like any other LAST. A chunk needs no end-of-data sequence, so no dot is stuffed or removed and
 * nothing in a chunk can end the message early; line-ending checks (bare CR / LF) still apply unless the
 * transaction is `BODY=BINARYMIME`.
 *
 * @since 0.2.0
 */
import type { SmtpReply } from "@cartero/smtp"
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js"
import { SMTPStream } from "smtp-server/lib/smtp-stream.js"
import * as BdatCommand from "./BdatCommand.ts"
import * as Replies from "./Replies.ts"
import * as ReplyPatch from "./ReplyPatch.ts"
import * as ServerExtension from "./ServerExtension.ts"

/** A chunk the parser is reading. */
interface Expected {
  remaining: number
  /** Takes octets of the chunk; `false`: wait for `drained` before reading more. */
  readonly take: (bytes: Buffer) => boolean
  readonly drained: () => Promise<void>
  /** Every octet was read: answer, then `resume` goes on with what the client sent after the chunk. */
  readonly end: (resume: () => void) => void
}

const expected = new WeakMap<SMTPStream, Expected>()
/** The BDAT transfer of a connection's transaction, from its first chunk to LAST (or a refusal, RSET, close). */
const transfers = new WeakMap<SMTPConnection, ServerExtension.Transfer>()

const discardAll = {
  take: () => true,
  drained: () => Promise.resolve()
}

/** The EHLO keywords CHUNKING adds on a listener. */
export const keywords = (extension: ServerExtension.ServerExtension): ReadonlyArray<string> =>
  extension.chunking === undefined ? [] : extension.chunking.binaryMime ? ["CHUNKING", "BINARYMIME"] : ["CHUNKING"]

/**
 * Runs smtp-server's own EHLO handler (`call`, synchronous) with `extra` keywords appended to the keyword list it
 * answers with, by intercepting its single multi-line `250` on this connection only.
 */
export const withKeywords = (connection: SMTPConnection, extra: ReadonlyArray<string>, call: () => void): void => {
  if (extra.length === 0) return call()
  const send = SMTPConnection.prototype.send
  connection.send = function(this: SMTPConnection, code, data, context) {
    return send.call(this, code, code === 250 && Array.isArray(data) ? [...data, ...extra] : data, context)
  }
  try {
    call()
  } finally {
    Reflect.deleteProperty(connection, "send")
  }
}

/** The refusal of DATA on a connection: a BDAT transfer is in progress, or the transaction is `BODY=BINARYMIME`. */
export const dataRefusal = (connection: SMTPConnection): SmtpReply.SmtpReply | undefined =>
  transfers.has(connection)
    ? Replies.dataAfterBdat
    : connection.session.envelope?.bodyType === "binarymime"
    ? Replies.binaryMimeNeedsBdat
    : undefined

/** Why BDAT cannot be taken in this session state, if it cannot. */
const stateRefusal = (connection: SMTPConnection): SmtpReply.SmtpReply | undefined =>
  !connection.hostNameAppearsAs
    ? Replies.heloFirst
    : !connection.session.envelope.mailFrom
    ? Replies.needMail
    : connection.session.envelope.rcptTo.length === 0
    ? Replies.needRcpt
    : undefined

/**
 * Has the parser read `size` octets into `sink`, then calls `end`. `callback` is the command's: calling it lets the
 * parser go on, and in chunk mode it hands over the rest of its buffer first.
 */
const expect = (
  connection: SMTPConnection,
  size: number,
  sink: Pick<Expected, "take" | "drained">,
  end: Expected["end"],
  callback: () => void
): void => {
  const parser = connection._parser
  if (size === 0 || parser === false) return end(callback)
  parser._dataMode = true
  expected.set(parser, { remaining: size, take: sink.take, drained: sink.drained, end })
  callback()
}

/** Reads a chunk and throws it away, then answers `reply` (RFC 3030 §2: discard, then the 4yz/5yz). */
const refuse = (
  connection: SMTPConnection,
  extension: ServerExtension.ServerExtension,
  size: number,
  reply: SmtpReply.SmtpReply,
  callback: () => void
): void => {
  // Reading a chunk to discard it is bounded by the DATA time bound too, counted from now.
  extension.limits.dataStarted(connection)
  expect(connection, size, discardAll, (resume) => {
    if (!connection._closing && !connection._closed) ReplyPatch.send(connection, reply)
    resume()
  }, callback)
}

/** Ends the transaction as smtp-server does after DATA (which also drops the transfer, see `_resetSession`). */
const endTransaction = (connection: SMTPConnection, delivered: boolean): void => {
  if (delivered) connection._transactionCounter++
  connection._unrecognizedCommands = 0
  connection._resetSession()
}

const receive = (
  connection: SMTPConnection,
  bdat: BdatCommand.Bdat,
  transfer: ServerExtension.Transfer,
  callback: () => void
): void =>
  expect(connection, bdat.size, { take: transfer.push, drained: transfer.drained }, (resume) => {
    if (connection._closing || connection._closed) return resume()
    if (!bdat.last) {
      const refused = transfer.check()
      if (refused !== undefined) endTransaction(connection, false)
      ReplyPatch.send(connection, refused ?? Replies.chunkReceived(bdat.size))
      return resume()
    }
    // The stores decide now: the client waits for us, so no idle timeout may fire (smtp-server's `_onTimeout`).
    // The transfer leaves the connection first: a client that disconnects now does not pull the message (or its
    // spill file) from under the stores, as with DATA, where the message is processed to the end.
    connection._handlerPending = true
    transfers.delete(connection)
    transfer.finish((err, message) => {
      connection._handlerPending = false
      transfer.discard()
      if (connection._closing || connection._closed) return resume()
      // The same replies as smtp-server's end of DATA (`DATA_OK` starts the error counts over, `ListenerLimits`).
      if (err) connection.send(err.responseCode ?? 450, err.message)
      else connection.send(250, message, "DATA_OK")
      endTransaction(connection, !err)
      resume()
    })
  }, callback)

/** smtp-server finds a command's handler as the method `handler_<VERB>`. */
type WithBdat = SMTPConnection & { handler_BDAT: (command: Buffer, callback: () => void) => void }

let installed = false

/** Installs the BDAT command and the parser, session and MAIL parameter wrappers (idempotent). */
export const install = (): void => {
  if (installed) return
  installed = true
  const proto = SMTPConnection.prototype

  const write = SMTPStream.prototype._write
  const feed = (parser: SMTPStream, chunk: Expected, input: Buffer, next: (error?: Error | null) => void): void => {
    const take = Math.min(input.length, chunk.remaining)
    chunk.remaining -= take
    const ready = take === 0 || chunk.take(take === input.length ? input : input.subarray(0, take))
    const rest = input.subarray(take)
    const after = () => {
      if (chunk.remaining > 0) return next()
      expected.delete(parser)
      parser._dataMode = false
      chunk.end(() => (rest.length > 0 ? write.call(parser, rest, "buffer", next) : next()))
    }
    if (ready) after()
    else void chunk.drained().then(after)
  }
  SMTPStream.prototype._write = function(this: SMTPStream, chunk, encoding, next): void {
    const chunkInProgress = expected.get(this)
    if (chunkInProgress === undefined || this.isClosed) return write.call(this, chunk, encoding, next)
    feed(this, chunkInProgress, chunk, next)
  }

  ;(proto as WithBdat).handler_BDAT = function(this: SMTPConnection, command: Buffer, callback: () => void): void {
    const extension = ServerExtension.lookup(this._server)
    const chunking = extension?.chunking
    if (extension === undefined || chunking === undefined) {
      // Not ours, or CHUNKING off: what smtp-server answers to a command it does not know.
      this._unrecognizedCommands++
      this.send(500, "Error: command not recognized", "BDAT")
      return callback()
    }
    const bdat = BdatCommand.parse(command.toString("latin1"))
    if (bdat === undefined) {
      ReplyPatch.send(this, Replies.bdatSyntax)
      return callback()
    }
    const refusal = stateRefusal(this)
    if (refusal !== undefined) return refuse(this, extension, bdat.size, refusal, callback)
    const transfer = transfers.get(this)
    if (transfer !== undefined) return receive(this, bdat, transfer, callback)
    chunking.begin(this.session, (outcome) => {
      if (this._closing || this._closed) return callback()
      if (outcome._tag === "Refuse") {
        // The transaction is over: a later chunk of it must not start a message without this one.
        endTransaction(this, false)
        return refuse(this, extension, bdat.size, outcome.reply, callback)
      }
      transfers.set(this, outcome)
      // The DATA time bound covers the whole transfer, from its first chunk (`ListenerLimits`).
      extension.limits.dataStarted(this)
      receive(this, bdat, outcome, callback)
    })
  }

  const reset = proto._resetSession
  proto._resetSession = function(this: SMTPConnection): void {
    const transfer = transfers.get(this)
    if (transfer !== undefined) {
      transfers.delete(this)
      transfer.discard()
    }
    reset.call(this)
  }

  const onClose = proto._onClose
  proto._onClose = function(this: SMTPConnection): void {
    const transfer = transfers.get(this)
    if (transfer !== undefined) {
      transfers.delete(this)
      transfer.discard()
    }
    onClose.call(this)
  }

  const validate = proto._validateMailParams
  proto._validateMailParams = function(this: SMTPConnection, parsed) {
    const args = parsed.args
    if (
      args !== false && typeof args.BODY === "string" && args.BODY.toUpperCase() === "BINARYMIME" &&
      ServerExtension.lookup(this._server)?.chunking?.binaryMime === true
    ) {
      const { BODY: _body, ...others } = args
      return validate.call(this, { ...parsed, args: others })
    }
    return validate.call(this, parsed)
  }
}
