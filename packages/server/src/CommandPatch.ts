/**
 * The command-level hooks smtp-server lacks, added by wrapping `SMTPConnection` methods once per process. Each
 * wrapper only acts for servers registered in `ServerExtension`; any other `SMTPServer` is left untouched.
 *
 * - `_onCommand`: command lines longer than the configured limit (default 2048 octets) get `500 5.5.2` and the
 *   session goes on. smtp-server's own `maxCommandLength` answers `421` and closes, so it is set well above our
 *   limit (see `Listener`) and only remains as the memory bound for a line that never ends. Also records each raw
 *   line, because the address smtp-server hands to `onMailFrom`/`onRcptTo` has already been IDN-decoded.
 * - `handler_EHLO` / `handler_HELO`: runs the `helo` phase before smtp-server answers, so a refusal is given at
 *   HELO time (and the client stays un-greeted: MAIL gets 503). While EHLO lists its keywords, AUTH is hidden
 *   when it may not be used yet (no TLS on an untrusted listener, or AUTH off).
 * - `_onCommand` also answers `421 4.3.2` once shutdown started, unless a transaction is in progress.
 * - `handler_DATA`: runs the `data` phase before smtp-server answers `354`, so a refusal costs the client no
 *   bytes of the body (smtp-server's own `503` without recipients comes first).
 * - `handler_AUTH`: refuses AUTH where it may not be used (`538 5.7.0` before TLS, `503 5.5.1` when off).
 * - `_onCommand` also batches replies ({@link batchReplies}): the replies to the commands of one pipelined read
 *   leave in one socket write.
 *
 * @since 0.1.0
 */
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js"
import * as Replies from "./Replies.ts"
import * as ReplyPatch from "./ReplyPatch.ts"
import * as ServerExtension from "./ServerExtension.ts"


// smtp-server's HELO argument rules (isAcceptableHeloHostname): a malformed argument is left to the library's 501.
const controls = /[\u0000-\u001f\u007f]/

const isQuit = (command: Buffer): boolean => /^\s*QUIT\s*$/i.test(command.toString("latin1"))
const isStartTls = (command: Buffer): boolean => /^\s*STARTTLS\b/i.test(command.toString("latin1", 0, 16))

/** Sockets corked by {@link batchReplies} and not yet uncorked. */
const corked = new WeakSet<SMTPConnection["_socket"]>()

const uncork = (socket: SMTPConnection["_socket"]): void => {
  if (corked.delete(socket)) socket.uncork()
}

/**
 * Reply batching (RFC 2920 §3.1: a server may send the replies to a group of pipelined commands as a unit). smtp-server
 * writes each reply as it is decided, so MAIL, RCPT and DATA pipelined in one packet cost three socket writes
 * (expensive syscalls, ≈ 8–10 % of the CPU under gVisor; docs/benchmarks.md). The socket is corked when a command
 * starts and uncorked in the same event-loop turn, after I/O callbacks and the promise chains they started
 * (`setImmediate`): the replies to every command of the read that were decided without waiting for I/O go out in one
 * write, and no reply waits longer than that turn (a hook waiting for I/O lets the replies before it go at once).
 *
 * STARTTLS is never corked: its `220` must reach the raw socket before smtp-server hands that socket to TLS (which
 * happens synchronously inside the handler), so pending replies are flushed first. `end()` (421 and close) flushes
 * a corked socket too.
 */
export const batchReplies = (connection: SMTPConnection, command: Buffer): void => {
  const socket = connection._socket
  if (isStartTls(command)) return uncork(socket)
  if (corked.has(socket) || socket.destroyed) return
  corked.add(socket)
  socket.cork()
  setImmediate(() => uncork(socket))
}

/** Whether a connection is between transactions and waits for no handler: it can be told to go away at once. */
export const isIdle = (connection: SMTPConnection): boolean =>
  !connection.session.envelope?.mailFrom && !connection._handlerPending && !connection._dataStream &&
  connection._nextHandler === false

let installed = false

/** Installs the wrappers (idempotent). */
export const install = (): void => {
  if (installed) return
  installed = true
  const proto = SMTPConnection.prototype

  const onCommand = proto._onCommand
  proto._onCommand = function(this: SMTPConnection, command: Buffer, callback?: () => void): void {
    const extension = ServerExtension.lookup(this._server)
    if (extension === undefined || this._upgrading || !this._ready || command === undefined) {
      return onCommand.call(this, command, callback)
    }
    if (command.length > extension.maxLineLength) {
      // An AUTH exchange in progress cannot go on with a truncated line: abandon it.
      this._nextHandler = false
      this._unrecognizedCommands++
      if (this._unrecognizedCommands >= 10) return ReplyPatch.send(this, Replies.tooManyErrors)
      ReplyPatch.send(this, Replies.commandTooLong)
      const next = callback ?? (() => undefined)
      setImmediate(() => this._whenWritable(next))
      return
    }
    if (extension.draining && this._nextHandler === false && !this.session.envelope.mailFrom && !isQuit(command)) {
      return ReplyPatch.send(this, Replies.shuttingDown)
    }
    if (this._nextHandler === false) extension.onCommandLine(this.session, command)
    batchReplies(this, command)
    return onCommand.call(this, command, callback)
  }

  const wrapHelo = (verb: "HELO" | "EHLO", original: (this: SMTPConnection, command: Buffer, callback: () => void) => void) =>
    function(this: SMTPConnection, command: Buffer, callback: () => void): void {
      const extension = ServerExtension.lookup(this._server)
      if (extension === undefined) return original.call(this, command, callback)
      const parts = command.toString().trim().split(/\s+/)
      const domain = parts[1] ?? ""
      if (parts.length !== 2 || domain.length > 300 || controls.test(domain)) return original.call(this, command, callback)
      extension.helo(this.session, verb, domain, (outcome) => {
        if (this._closing || this._closed) return callback()
        if (outcome._tag === "Refuse") {
          ReplyPatch.send(this, outcome.reply)
          return callback()
        }
        if (verb === "HELO" || extension.authAvailable(this.session, this.secure)) {
          return original.call(this, command, callback)
        }
        // Hide AUTH from the keyword list only: the session's own list (if any) is restored right after.
        const saved = this.session.disabledCommands
        this.session.disabledCommands = [...this._server.options.disabledCommands ?? [], "AUTH"]
        try {
          original.call(this, command, callback)
        } finally {
          if (saved === undefined) delete this.session.disabledCommands
          else this.session.disabledCommands = saved
        }
      })
    }
  proto.handler_EHLO = wrapHelo("EHLO", proto.handler_EHLO)
  proto.handler_HELO = wrapHelo("HELO", proto.handler_HELO)

  const data = proto.handler_DATA
  proto.handler_DATA = function(this: SMTPConnection, command: Buffer, callback: () => void): void {
    const extension = ServerExtension.lookup(this._server)
    if (extension === undefined || this.session.envelope.rcptTo.length === 0) return data.call(this, command, callback)
    extension.data(this.session, (outcome) => {
      if (this._closing || this._closed) return callback()
      if (outcome._tag === "Refuse") {
        ReplyPatch.send(this, outcome.reply)
        return callback()
      }
      data.call(this, command, callback)
    })
  }

  const auth = proto.handler_AUTH
  proto.handler_AUTH = function(this: SMTPConnection, command: Buffer, callback: () => void): void {
    const extension = ServerExtension.lookup(this._server)
    if (extension === undefined || extension.authAvailable(this.session, this.secure)) {
      return auth.call(this, command, callback)
    }
    ReplyPatch.send(this, extension.authUnavailable(this.session, this.secure))
    callback()
  }
}
