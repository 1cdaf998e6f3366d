/**
 * A small real LMTP server (RFC 2033), the mailbox server of LMTP delivery tests: it listens on `127.0.0.1` (port 0
 * or a given port) or on a Unix domain socket, answers `LHLO` (and refuses `EHLO`/`HELO`, as an LMTP server must
 * not be mistaken for SMTP), takes `MAIL`, `RCPT`, `DATA`, `RSET`, `NOOP`, `QUIT` pipelined or not, and after the
 * data answers once per accepted recipient, in RCPT order, with what the test scripts for that recipient (default
 * `250 2.0.0 <rcpt> delivered`). Every recipient answered 2yz is recorded as one delivery.
 *
 * Closing the scope closes the listener and every connection, so a test can stop the server and start another on
 * the same port or socket path ("the mailbox server was down").
 *
 * @since 0.1.0
 */
import { Data, Effect, type Scope } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"

/** Where the sink listens: a TCP port on 127.0.0.1 (0 = any free one), or a Unix socket path. */
export type Listen = { readonly port: number } | { readonly path: string }

/** A reply line: `code` and text (the enhanced code goes in the text). */
export interface Reply {
  readonly code: number
  readonly text: string
}

/** How the sink answers. */
export interface Options {
  /** Default `{ port: 0 }`. */
  readonly listen?: Listen
  /** The reply to `RCPT TO:<recipient>`; default `250 2.1.5 OK`. */
  readonly rcpt?: (recipient: string) => Reply | undefined
  /**
   * The reply for one accepted recipient after the data; default `250 2.0.0 <recipient> delivered`. `"drop"`
   * closes the connection there (the recipients before it have had their replies, the rest get none).
   */
  readonly deliver?: (recipient: string, message: Uint8Array) => Reply | "drop" | undefined
}

/** One message delivered to one mailbox. */
export interface Delivery {
  readonly mailFrom: string
  readonly recipient: string
  /** The message, dot-unstuffed, without the final `.CRLF`. */
  readonly data: Uint8Array
}

/** The running sink. */
export interface LmtpSink {
  /** Where it listens (the bound port when `port: 0` was asked for). */
  readonly listen: Listen
  /** Recipients delivered so far (2yz after the data), in order. */
  readonly deliveries: () => ReadonlyArray<Delivery>
  /** Every command line received, in order. */
  readonly commands: () => ReadonlyArray<string>
  /** Connections accepted so far. */
  readonly connections: () => number
}

/** The sink could not listen. */
export class LmtpSinkError extends Data.TaggedError("LmtpSinkError")<{ readonly detail: string }> {}

/** Largest command line or message this sink takes (a client that sends more is disconnected). */
const maxBuffered = 10 * 1024 * 1024

const render = (reply: Reply): string => `${reply.code} ${reply.text}\r\n`
const between = (line: string): string => /<([^>]*)>/.exec(line)?.[1] ?? ""

/** Dot-unstuffing (RFC 5321 §4.5.2): a leading `.` of a line is dropped. */
const unstuff = (data: Buffer): Uint8Array => Buffer.from(data.toString("latin1").replace(/(^|\r\n)\./g, "$1"), "latin1")

class Session {
  private buffer = Buffer.alloc(0)
  private inData = false
  private mailFrom: string | undefined
  private recipients: Array<string> = []
  private closed = false

  constructor(private readonly socket: net.Socket, private readonly options: Options, private readonly state: State) {
    socket.on("error", () => undefined)
    socket.on("data", (chunk: Buffer) => this.receive(chunk))
    socket.write("220 lmtp.test LMTP ready\r\n")
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk])
    if (this.buffer.length > maxBuffered) return void this.socket.destroy()
    let out = ""
    while (!this.socket.destroyed && !this.closed) {
      if (this.inData) {
        // The data ends at CRLF.CRLF, or at once with a `.` line for an empty message.
        const empty = this.buffer.subarray(0, 3).toString("latin1") === ".\r\n"
        const end = empty ? 0 : this.buffer.indexOf("\r\n.\r\n")
        if (end === -1) break
        const data = empty ? Buffer.alloc(0) : this.buffer.subarray(0, end + 2)
        this.buffer = this.buffer.subarray(empty ? 3 : end + 5)
        this.inData = false
        const replies = this.deliver(unstuff(data))
        out += replies.text
        if (replies.drop) {
          this.closed = true
          this.socket.end(out)
          return
        }
        continue
      }
      const eol = this.buffer.indexOf("\r\n")
      if (eol === -1) break
      const line = this.buffer.subarray(0, eol).toString("utf8")
      this.buffer = this.buffer.subarray(eol + 2)
      this.state.commands.push(line)
      const reply = this.command(line)
      out += reply
      if (line.toUpperCase() === "QUIT") {
        this.closed = true
        this.socket.end(out)
        return
      }
    }
    if (out !== "" && !this.closed) this.socket.write(out)
  }

  private command(line: string): string {
    const verb = line.split(" ")[0]?.toUpperCase() ?? ""
    switch (verb) {
      case "LHLO":
        return "250-lmtp.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
      case "EHLO":
      case "HELO":
        return "500 5.5.1 this is an LMTP server: LHLO\r\n"
      case "MAIL":
        this.mailFrom = between(line)
        this.recipients = []
        return "250 2.1.0 OK\r\n"
      case "RCPT": {
        if (this.mailFrom === undefined) return "503 5.5.1 MAIL first\r\n"
        const recipient = between(line)
        const reply = this.options.rcpt?.(recipient) ?? { code: 250, text: "2.1.5 OK" }
        if (reply.code >= 200 && reply.code < 300) this.recipients.push(recipient)
        return render(reply)
      }
      case "DATA":
        // RFC 2033 §4.2: no valid recipient, no DATA.
        if (this.recipients.length === 0) return "503 5.5.1 no valid recipients\r\n"
        this.inData = true
        return "354 go ahead\r\n"
      case "RSET":
        this.mailFrom = undefined
        this.recipients = []
        return "250 2.0.0 OK\r\n"
      case "NOOP":
        return "250 2.0.0 OK\r\n"
      case "QUIT":
        return "221 2.0.0 bye\r\n"
      default:
        return "500 5.5.2 unknown command\r\n"
    }
  }

  /** One reply per accepted recipient, in RCPT order. */
  private deliver(data: Uint8Array): { readonly text: string; readonly drop: boolean } {
    let out = ""
    for (const recipient of this.recipients) {
      const reply = this.options.deliver?.(recipient, data) ?? { code: 250, text: `2.0.0 <${recipient}> delivered` }
      if (reply === "drop") return { text: out, drop: true }
      if (reply.code >= 200 && reply.code < 300) this.state.deliveries.push({ mailFrom: this.mailFrom ?? "", recipient, data })
      out += render(reply)
    }
    this.mailFrom = undefined
    this.recipients = []
    return { text: out, drop: false }
  }
}

interface State {
  readonly deliveries: Array<Delivery>
  readonly commands: Array<string>
  connections: number
}

/** Starts a sink for the current scope. A Unix socket path left by an earlier sink is removed first. */
export const make = Effect.fnUntraced(function*(options: Options = {}): Effect.fn.Return<LmtpSink, LmtpSinkError, Scope.Scope> {
  const state: State = { deliveries: [], commands: [], connections: 0 }
  const listen = options.listen ?? { port: 0 }
  const sockets = new Set<net.Socket>()
  const server = yield* Effect.acquireRelease(
    Effect.callback<net.Server, LmtpSinkError>((resume) => {
      const s = net.createServer((socket) => {
        state.connections++
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        new Session(socket, options, state)
      })
      s.once("error", (e) => resume(Effect.fail(new LmtpSinkError({ detail: e.message }))))
      if ("path" in listen) {
        fs.rmSync(listen.path, { force: true })
        s.listen(listen.path, () => resume(Effect.succeed(s)))
      } else {
        s.listen(listen.port, "127.0.0.1", () => resume(Effect.succeed(s)))
      }
    }),
    (s) =>
      Effect.callback<void>((resume) => {
        s.close(() => resume(Effect.void))
        for (const socket of sockets) socket.destroy()
      })
  )
  const bound = server.address()
  return {
    listen: "path" in listen ? listen : { port: typeof bound === "object" && bound !== null ? bound.port : listen.port },
    deliveries: () => [...state.deliveries],
    commands: () => [...state.commands],
    connections: () => state.connections
  }
})
