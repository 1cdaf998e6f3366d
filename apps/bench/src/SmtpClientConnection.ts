/**
 * One raw SMTP client connection for the load generator: a reply reader over a `node:net` socket.
 *
 * This is plain callback/Promise code on purpose. It runs tens of thousands of times per second in the
 * generator's hot loop, where an Effect fiber per reply would cost more than the reply parsing itself and would
 * make the tool, not the server under test, the bottleneck. Every read is bounded by the socket's idle timeout.
 *
 * @since 0.1.0
 */
import * as net from "node:net"

/** A complete (possibly multi-line) SMTP reply. `text` joins the lines' texts with `\n`. */
export interface Reply {
  readonly code: number
  readonly text: string
}

/** Why a connection died: `timeout`, `closed`, `deadline`, or the socket error code (`ECONNREFUSED`…). */
export class ConnectionError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message)
    this.name = "ConnectionError"
  }
}

type Waiter = {
  readonly resolve: (reply: Reply) => void
  readonly reject: (error: ConnectionError) => void
}

export class SmtpClientConnection {
  private buffer = ""
  private multiline = ""
  private readonly ready: Array<Reply> = []
  private waiter: Waiter | undefined = undefined
  private failure: ConnectionError | undefined = undefined
  /** Set by the generator before it writes a message; cleared when the reply arrives. */
  awaitingDataReply = false
  /** When the last message byte left for the kernel (write callback), if that happened before the reply. */
  flushedAt = 0
  /** What the generator already pipelined after the last message's end of DATA. */
  ahead: "nothing" | "envelope" | "quit" = "nothing"
  /** Write callback for a message's last bytes; one bound function per connection, not one closure per message. */
  readonly onFlushed = (): void => {
    if (this.awaitingDataReply) this.flushedAt = performance.now()
  }

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true) // SMTP is lock-step: Nagle + delayed ACK would add ~40 ms per exchange.
    socket.setEncoding("latin1") // replies are ASCII; latin1 decoding is the cheapest and never throws.
    socket.on("data", (chunk: string) => this.onData(chunk))
    socket.on("error", (e: NodeJS.ErrnoException) => this.fail(new ConnectionError(e.code ?? "error", e.message)))
    socket.on("timeout", () => {
      this.fail(new ConnectionError("timeout", "no reply within the read timeout"))
      socket.destroy()
    })
    socket.on("close", () => this.fail(new ConnectionError("closed", "connection closed by the server")))
  }

  /**
   * Connects and reads the greeting. `readTimeoutMs` bounds the connect and every later read (it is the socket's
   * idle timeout: while the generator waits for a reply, the socket is idle by definition).
   */
  static async open(options: {
    readonly host: string
    readonly port: number
    readonly readTimeoutMs: number
    readonly onSocket?: (socket: net.Socket) => void
  }): Promise<{ readonly connection: SmtpClientConnection; readonly greeting: Reply }> {
    const socket = net.connect({ host: options.host, port: options.port })
    socket.setTimeout(options.readTimeoutMs)
    options.onSocket?.(socket)
    const connection = new SmtpClientConnection(socket)
    const greeting = await connection.read()
    return { connection, greeting }
  }

  /** The next reply, in order. Rejects with {@link ConnectionError} once the connection is dead. */
  read(): Promise<Reply> {
    const reply = this.ready.shift()
    if (reply !== undefined) return Promise.resolve(reply)
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise<Reply>((resolve, reject) => {
      this.waiter = { resolve, reject }
    })
  }

  /** `true` when the connection failed (error, timeout, close). */
  get dead(): boolean {
    return this.failure !== undefined
  }

  /** Ends the connection without waiting. */
  destroy(): void {
    this.socket.destroy()
  }

  /** Marks the connection dead with `error` (used for the run deadline). */
  kill(reason: string, message: string): void {
    this.fail(new ConnectionError(reason, message))
    this.socket.destroy()
  }

  private fail(error: ConnectionError): void {
    if (this.failure !== undefined) return
    this.failure = error
    const w = this.waiter
    this.waiter = undefined
    w?.reject(error)
  }

  private onData(chunk: string): void {
    this.buffer = this.buffer.length === 0 ? chunk : this.buffer + chunk
    let start = 0
    for (;;) {
      const nl = this.buffer.indexOf("\n", start)
      if (nl < 0) break
      const end = nl > start && this.buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
      this.onLine(this.buffer.slice(start, end))
      start = nl + 1
    }
    this.buffer = start === 0 ? this.buffer : this.buffer.slice(start)
    // A server that never sends a newline must not make us buffer without bound.
    if (this.buffer.length > 65536) {
      this.fail(new ConnectionError("protocol", "reply line longer than 64 KiB"))
      this.socket.destroy()
    }
  }

  private onLine(line: string): void {
    const code = Number.parseInt(line.slice(0, 3), 10)
    const text = line.slice(4)
    if (line.charCodeAt(3) === 45 /* "-" */) {
      this.multiline = this.multiline.length === 0 ? text : this.multiline + "\n" + text
      return
    }
    const reply: Reply = {
      code: Number.isNaN(code) ? 0 : code,
      text: this.multiline.length === 0 ? text : this.multiline + "\n" + text
    }
    this.multiline = ""
    if (this.awaitingDataReply) this.awaitingDataReply = false
    const w = this.waiter
    if (w !== undefined) {
      this.waiter = undefined
      w.resolve(reply)
    } else {
      this.ready.push(reply)
    }
  }
}
