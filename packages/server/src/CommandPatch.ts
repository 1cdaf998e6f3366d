/**
 * The command-level hooks smtp-server lacks, added by wrapping `SMTPConnection` methods once per process. Each
 * wrapper only acts for servers registered in `ServerExtension`; any other `SMTPServer` is left untouched.
 *
 * - `init`: admission by the listener's connection limits (`ListenerLimits`) before anything is sent: a refused
 *   connection gets `421 4.7.0` instead of the banner and no session is set up. `_onClose` releases the slot.
 * - `_onCommand`: command lines longer than the configured limit (default 2048 octets) get `500 5.5.2` and the
 *   session goes on. smtp-server's own `maxCommandLength` answers `421` and closes, so it is set well above our
 *   limit (see `Listener`) and only remains as the memory bound for a line that never ends. Also records each raw
 *   line, because the address smtp-server hands to `onMailFrom`/`onRcptTo` has already been IDN-decoded.
 * - `_onCommand` also paces a session that reached the soft error limit (the command waits the error sleep),
 *   counts junk commands (NOOP, RSET, VRFY, HELP), and replaces smtp-server's fixed limit of 10 unrecognised
 *   commands with the session's error limits.
 * - `handler_EHLO` / `handler_HELO`: runs the `helo` phase before smtp-server answers, so a refusal is given at
 *   HELO time (and the client stays un-greeted: MAIL gets 503). While EHLO lists its keywords, AUTH is hidden
 *   when it may not be used yet (no TLS on an untrusted listener, or AUTH off).
 * - `_onCommand` also answers `421 4.3.2` once shutdown started, unless a transaction is in progress.
 * - `handler_DATA`: runs the `data` phase before smtp-server answers `354`, so a refusal costs the client no
 *   bytes of the body (smtp-server's own `503` without recipients comes first); marks the start of the DATA phase
 *   for its time bound.
 * - `handler_AUTH`: refuses AUTH where it may not be used (`538 5.7.0` before TLS, `503 5.5.1` when off), and
 *   from a client with too many recent failures (`454 4.7.0`).
 * - `_parseAddressCommand`: accepts the RFC 5321 paths smtp-server's parser refuses, quoted local parts with
 *   spaces or specials (`<"john doe"@example.com>`), when `Address.parsePath` accepts them.
 * - `_onCommand` also batches replies ({@link batchReplies}): the replies to the commands of one pipelined read
 *   leave in one socket write.
 *
 * @since 0.1.0
 */
import { Address } from "@cartero/smtp"
import { Result } from "effect"
import { SMTPConnection } from "smtp-server/lib/smtp-connection.js"
import * as Replies from "./Replies.ts"
import * as ReplyPatch from "./ReplyPatch.ts"
import * as ServerExtension from "./ServerExtension.ts"

// smtp-server's HELO argument rules (isAcceptableHeloHostname): a malformed argument is left to the library's 501.
const controls = /[\u0000-\u001f\u007f]/

const isQuit = (command: Buffer): boolean => /^\s*QUIT\s*$/i.test(command.toString("latin1"))
// Postfix's junk commands (NOOP, RSET, VRFY; ETRN and EXPN are unknown here) and HELP: they change nothing.
const junk = /^\s*(?:NOOP|RSET|VRFY|HELP)(?:\s|$)/i
const isJunk = (command: Buffer): boolean => junk.test(command.toString("latin1", 0, 8))
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

  const init = proto.init
  proto.init = function(this: SMTPConnection): void {
    const extension = ServerExtension.lookup(this._server)
    if (extension === undefined) return init.call(this)
    // Refused connections, and clients already gone (their close event may have passed, so no slot could ever be
    // released), get no listeners, no session, and nothing they send is parsed. An error event must still have a
    // listener: an unhandled one would crash the process.
    if (this._socket.destroyed) {
      this._socket.on("error", () => undefined)
      return this.close()
    }
    const refusal = extension.limits.admit(this)
    if (refusal === undefined) return init.call(this)
    this._socket.on("error", () => undefined)
    // A 421: written, then the connection is closed.
    ReplyPatch.send(this, refusal)
  }

  const onClose = proto._onClose
  proto._onClose = function(this: SMTPConnection): void {
    onClose.call(this)
    ServerExtension.lookup(this._server)?.limits.closed(this)
  }

  const onCommand = proto._onCommand
  const handle = (
    connection: SMTPConnection,
    extension: ServerExtension.ServerExtension,
    command: Buffer,
    callback: (() => void) | undefined
  ): void => {
    // The session's error limits replace smtp-server's fixed limit of 10 unrecognised commands (which answers
    // without an enhanced code); its 500 is counted as an error like any other.
    connection._unrecognizedCommands = 0
    if (command.length > extension.maxLineLength) {
      // An AUTH exchange in progress cannot go on with a truncated line: abandon it.
      connection._nextHandler = false
      ReplyPatch.send(connection, Replies.commandTooLong)
      const next = callback ?? (() => undefined)
      setImmediate(() => connection._whenWritable(next))
      return
    }
    if (
      extension.draining && connection._nextHandler === false && !connection.session.envelope.mailFrom &&
      !isQuit(command)
    ) {
      return ReplyPatch.send(connection, Replies.shuttingDown)
    }
    if (connection._nextHandler === false) {
      extension.limits.metrics.command(command)
      if (isJunk(command) && extension.limits.junk(connection) === "Drop") {
        return ReplyPatch.send(connection, Replies.tooManyErrors)
      }
      extension.onCommandLine(connection.session, command)
    }
    batchReplies(connection, command)
    return onCommand.call(connection, command, callback)
  }
  proto._onCommand = function(this: SMTPConnection, command: Buffer, callback?: () => void): void {
    const extension = ServerExtension.lookup(this._server)
    if (extension === undefined || this._upgrading || !this._ready || command === undefined) {
      return onCommand.call(this, command, callback)
    }
    if (!extension.limits.slowed(this)) return handle(this, extension, command, callback)
    extension.limits.afterErrorSleep(this, () => {
      if (this._closing || this._closed) return callback?.()
      handle(this, extension, command, callback)
    })
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
  const startData = function(this: SMTPConnection, extension: ServerExtension.ServerExtension, command: Buffer, callback: () => void) {
    data.call(this, command, callback)
    // smtp-server answered 354 (synchronously) and switched the parser to data mode: the DATA bound starts now.
    if (this._dataStream) extension.limits.dataStarted(this)
  }
  proto.handler_DATA = function(this: SMTPConnection, command: Buffer, callback: () => void): void {
    const extension = ServerExtension.lookup(this._server)
    if (extension === undefined) return data.call(this, command, callback)
    if (this.session.envelope.rcptTo.length === 0) return startData.call(this, extension, command, callback)
    extension.data(this.session, (outcome) => {
      if (this._closing || this._closed) return callback()
      if (outcome._tag === "Refuse") {
        ReplyPatch.send(this, outcome.reply)
        return callback()
      }
      startData.call(this, extension, command, callback)
    })
  }

  const auth = proto.handler_AUTH
  proto.handler_AUTH = function(this: SMTPConnection, command: Buffer, callback: () => void): void {
    const extension = ServerExtension.lookup(this._server)
    if (extension === undefined) return auth.call(this, command, callback)
    if (!extension.authAvailable(this.session, this.secure)) {
      ReplyPatch.send(this, extension.authUnavailable(this.session, this.secure))
      return callback()
    }
    const throttled = extension.limits.authRefusal(this)
    if (throttled === undefined) return auth.call(this, command, callback)
    ReplyPatch.send(this, throttled)
    callback()
  }

  const parseAddress = proto._parseAddressCommand
  proto._parseAddressCommand = function(this: SMTPConnection, rawName: string, rawCommand: Buffer | string) {
    const parsed = parseAddress.call(this, rawName, rawCommand)
    if (parsed !== false || ServerExtension.lookup(this._server) === undefined) return parsed
    return parseQuoted(this, parseAddress, rawName, String(rawCommand))
  }
}

/**
 * smtp-server splits a MAIL/RCPT line at white space and refuses `"` in a path, so a quoted local part with a space
 * or a special (`<"john doe"@example.com>`, RFC 5321 §4.1.2) never reaches the handlers. For such a line, the path
 * is found with {@link Address.splitPath}, checked with `Address.parsePath` (which refuses control and invisible
 * characters as smtp-server does), and the library parses the parameters of the same line with a stand-in path; the
 * handlers then parse the real path from the raw line, as for every address.
 */
const parseQuoted = (
  connection: SMTPConnection,
  parseAddress: SMTPConnection["_parseAddressCommand"],
  rawName: string,
  command: string
): ReturnType<SMTPConnection["_parseAddressCommand"]> => {
  if (!command.includes("\"")) return false
  const verb = /^\s*(MAIL FROM|RCPT TO)\s*:\s*/i.exec(command)
  if (verb?.[1] === undefined || verb[1].toLowerCase() !== rawName.trim().toLowerCase()) return false
  const split = Address.splitPath(command.slice(verb[0].length))
  if (split === undefined) return false
  const path = Address.parsePath(split.path, { smtpUtf8: true })
  if (Result.isFailure(path) || path.success === null) return false
  const standIn = parseAddress.call(connection, rawName, `${verb[0]}<quoted@local.invalid>${split.rest}`)
  return standIn === false ? false : { ...standIn, address: Address.format(path.success) }
}
