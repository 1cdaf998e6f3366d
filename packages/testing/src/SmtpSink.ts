/**
 * A scriptable SMTP sink: the remote server of delivery tests. It listens on `127.0.0.1:0`, speaks enough SMTP for
 * a client to deliver (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, STARTTLS), records every accepted message
 * (envelope and bytes), and lets the test script each phase: refuse a recipient, answer `421` and hang up, drop the
 * connection mid-DATA, reply slowly, advertise or hide extensions.
 *
 * It is its own small state machine on `node:net` (not smtp-server) so that it can misbehave on purpose, and so that
 * it is strict where delivery must be: DATA ends only at `CRLF.CRLF`, pipelined commands are answered in order, and
 * plaintext pipelined after STARTTLS is discarded (RFC 3207 §4.2).
 *
 * @since 0.1.0
 */
import { Context, Data, Duration, Effect, Layer, type Scope } from "effect"
import * as net from "node:net"
import * as tls from "node:tls"

/**
 * What a phase answers: a reply (optionally delayed, optionally followed by closing), raw bytes (anything at all,
 * for a server that misbehaves: garbage, mismatched multi-line codes, a flood of replies), or dropping the
 * connection.
 */
export type Response =
  | {
    readonly _tag: "Reply"
    readonly code: number
    readonly text: string | ReadonlyArray<string>
    readonly close: boolean
    readonly delay: Duration.Input | undefined
  }
  | {
    readonly _tag: "Raw"
    readonly data: string | Uint8Array
    readonly close: boolean
    readonly delay: Duration.Input | undefined
  }
  | { readonly _tag: "Drop" }

/** A reply, e.g. `reply(451, "4.2.1 try later")`. Multi-line text gives a multi-line reply. */
export const reply = (
  code: number,
  text: string | ReadonlyArray<string>,
  options?: { readonly close?: boolean; readonly delay?: Duration.Input }
): Response => ({ _tag: "Reply", code, text, close: options?.close ?? false, delay: options?.delay })

/**
 * Writes `data` exactly as given instead of a reply (a string is sent as UTF-8; nothing is appended), e.g.
 * `raw("250-a\r\n550 b\r\n")` or `raw("220 hi\r\n" + "250 flood\r\n".repeat(5000))`. The sink's own state does not
 * change: a raw answer to DATA does not start the message, one to RCPT does not add the recipient.
 */
export const raw = (
  data: string | Uint8Array,
  options?: { readonly close?: boolean; readonly delay?: Duration.Input }
): Response => ({ _tag: "Raw", data, close: options?.close ?? false, delay: options?.delay })

/** Close the connection without replying. */
export const drop: Response = { _tag: "Drop" }

/** An accepted message. `data` is dot-unstuffed, `raw` as it came over the wire; neither has the final `.CRLF`. */
export interface Message {
  readonly id: number
  readonly helo: string
  readonly mailFrom: string
  /** ESMTP parameters after `MAIL FROM:<…>`, e.g. `SIZE=100 BODY=8BITMIME`. */
  readonly mailParams: string
  readonly rcptTo: ReadonlyArray<string>
  /** ESMTP parameters after each `RCPT TO:<…>`, in `rcptTo` order, e.g. `NOTIFY=SUCCESS ORCPT=rfc822;b@x.test`. */
  readonly rcptParams: ReadonlyArray<string>
  readonly data: Buffer
  readonly raw: Buffer
  readonly tls: boolean
}

/** Per-phase scripting. A hook returning `undefined` gets the default behaviour. */
export interface Script {
  readonly connect?: () => Response | undefined
  readonly helo?: (name: string) => Response | undefined
  readonly mailFrom?: (address: string, params: string) => Response | undefined
  readonly rcptTo?: (address: string, params: string) => Response | undefined
  /** At the DATA command, before `354`. */
  readonly data?: (envelope: { readonly mailFrom: string; readonly rcptTo: ReadonlyArray<string> }) => Response | undefined
  /** After `354`, close the connection as soon as the first message bytes arrive. */
  readonly dropDuringData?: boolean
  /** The final reply to a complete message; the message is recorded only if this reply is 2yz. */
  readonly message?: (message: Message) => Response | undefined
}

/** Server settings. Extensions default to advertised; `size`, `starttls` and `dsn` are off unless given. */
export interface Options extends Script {
  readonly hostname?: string
  readonly pipelining?: boolean
  readonly eightBitMime?: boolean
  readonly smtpUtf8?: boolean
  readonly enhancedStatusCodes?: boolean
  /** Advertise `DSN` (RFC 3461). Default `false`. */
  readonly dsn?: boolean
  /** Advertise `SIZE n`, refuse larger `SIZE=` at MAIL and larger messages at the end of DATA (552). */
  readonly size?: number
  /** Offer STARTTLS with this key and certificate (PEM). */
  readonly starttls?: { readonly key: string | Buffer; readonly cert: string | Buffer }
  /** Delay before every reply (a per-response `delay` wins). */
  readonly delay?: Duration.Input
}

/** The sink could not start, or a wait timed out. */
export class SmtpSinkError extends Data.TaggedError("SmtpSinkError")<{
  readonly reason: "ListenFailed" | "Timeout"
  readonly detail: string
}> {
  override get message(): string {
    return `SmtpSink ${this.reason}: ${this.detail}`
  }
}

/** The running sink. */
export interface Service {
  readonly host: string
  readonly port: number
  /** Accepted messages, oldest first. */
  readonly messages: Effect.Effect<ReadonlyArray<Message>>
  readonly count: Effect.Effect<number>
  /** Messages whose data arrived whole (up to the final `.`), whatever the final reply: how often one was sent. */
  readonly received: Effect.Effect<number>
  /** Waits until at least `n` messages were accepted (default timeout 5 s); returns them. */
  readonly awaitMessages: (n: number, timeout?: Duration.Input) => Effect.Effect<ReadonlyArray<Message>, SmtpSinkError>
  /** Connections accepted so far. */
  readonly connections: Effect.Effect<number>
  /** Every command line received (not message data), across connections, oldest first. */
  readonly commands: Effect.Effect<ReadonlyArray<string>>
  /** Replaces the script (and options) for connections and commands from now on. */
  readonly setScript: (options: Options) => Effect.Effect<void>
}

/** The SmtpSink service. */
export class SmtpSink extends Context.Service<SmtpSink, Service>()("@cartero/testing/SmtpSink") {
  static readonly layer = (options: Options = {}): Layer.Layer<SmtpSink, SmtpSinkError> =>
    Layer.effect(SmtpSink, make(options))
}

const CRLF_DOT_CRLF = Buffer.from("\r\n.\r\n")

// Any code is written with three digits (`reply(0, "x")` is `000 x`), so odd codes can be scripted too.
const render = (code: number, text: string | ReadonlyArray<string>): string => {
  const lines = typeof text === "string" ? [text] : text.length === 0 ? [""] : text
  const digits = String(code).padStart(3, "0")
  return lines.map((l, i) => `${digits}${i === lines.length - 1 ? " " : "-"}${l}`.trimEnd() + "\r\n").join("")
}

const sleep = (delay: Duration.Input | undefined) =>
  delay === undefined ? Promise.resolve() : new Promise<void>((r) => setTimeout(r, Duration.toMillis(delay)))

/** Shared mutable state of one sink. */
interface State {
  options: Options
  readonly messages: Array<Message>
  readonly commands: Array<string>
  connections: number
  received: number
  readonly waiters: Set<() => void>
}

/** One SMTP session. Commands are taken from the buffer one by one and answered in order, so pipelining just works. */
class Session {
  private buf = Buffer.alloc(0)
  private mode: "command" | "data" = "command"
  private busy = false
  private closed = false
  private secure = false
  private helo = ""
  private txn: { from: string; params: string; rcpts: Array<string>; rcptParams: Array<string> } | undefined
  private readonly onData = (chunk: Buffer) => {
    this.buf = Buffer.concat([this.buf, chunk])
    if (!this.busy) void this.pump()
  }

  constructor(private socket: net.Socket, private readonly state: State) {
    socket.on("data", this.onData)
    socket.on("error", () => undefined)
    socket.on("close", () => {
      this.closed = true
    })
    void this.start()
  }

  private get options(): Options {
    return this.state.options
  }

  private async start() {
    this.busy = true
    const greeting = this.options.connect?.() ?? reply(220, `${this.options.hostname ?? "sink.test"} ESMTP sink`)
    await this.respond(greeting)
    this.busy = false
    void this.pump()
  }

  private async respond(response: Response): Promise<void> {
    if (this.closed) return
    if (response._tag === "Drop") return void this.socket.destroy()
    await sleep(response.delay ?? this.options.delay)
    if (this.closed) return
    this.socket.write(response._tag === "Raw" ? response.data : render(response.code, response.text))
    if (response.close) this.socket.end()
  }

  private async pump() {
    this.busy = true
    try {
      while (!this.closed) {
        if (this.mode === "data") {
          if (this.options.dropDuringData === true && this.buf.length > 2) return void this.socket.destroy()
          // The buffer starts with a synthetic CRLF, so an empty message (".\r\n" first) matches too.
          const end = this.buf.indexOf(CRLF_DOT_CRLF)
          if (end < 0) return
          const raw = this.buf.subarray(2, end + 2)
          this.buf = this.buf.subarray(end + 5)
          this.mode = "command"
          await this.finishData(raw)
          continue
        }
        const nl = this.buf.indexOf(0x0a)
        if (nl < 0) return
        const line = this.buf.subarray(0, nl).toString("utf8").replace(/\r$/, "")
        this.buf = this.buf.subarray(nl + 1)
        this.state.commands.push(line)
        await this.command(line)
      }
    } finally {
      this.busy = false
    }
  }

  private ehloLines(): Array<string> {
    const o = this.options
    return [
      o.hostname ?? "sink.test",
      ...(o.pipelining ?? true ? ["PIPELINING"] : []),
      ...(o.eightBitMime ?? true ? ["8BITMIME"] : []),
      ...(o.smtpUtf8 ?? true ? ["SMTPUTF8"] : []),
      ...(o.enhancedStatusCodes ?? true ? ["ENHANCEDSTATUSCODES"] : []),
      ...(o.dsn === true ? ["DSN"] : []),
      ...(o.size !== undefined ? [`SIZE ${o.size}`] : []),
      ...(o.starttls !== undefined && !this.secure ? ["STARTTLS"] : [])
    ]
  }

  private async command(line: string) {
    const verb = (/^\S*/.exec(line)?.[0] ?? "").toUpperCase()
    const arg = line.slice(verb.length).trim()
    const o = this.options
    switch (verb) {
      case "EHLO":
      case "HELO": {
        this.helo = arg
        this.txn = undefined
        const lines = verb === "EHLO" ? this.ehloLines() : [o.hostname ?? "sink.test"]
        return this.respond(o.helo?.(arg) ?? reply(250, lines))
      }
      case "MAIL": {
        const m = /^FROM:\s*<([^>]*)>\s*(.*)$/i.exec(arg)
        if (this.helo === "") return this.respond(reply(503, "5.5.1 EHLO first"))
        if (this.txn !== undefined) return this.respond(reply(503, "5.5.1 Nested MAIL"))
        if (m === null) return this.respond(reply(501, "5.5.4 Syntax: MAIL FROM:<address>"))
        const [, from = "", params = ""] = m
        const size = Number(/(?:^|\s)SIZE=(\d+)/i.exec(params)?.[1] ?? "0")
        const r = o.mailFrom?.(from, params) ??
          (o.size !== undefined && size > o.size ? reply(552, "5.3.4 Message too big") : reply(250, "2.1.0 Ok"))
        if (r._tag === "Reply" && r.code >= 200 && r.code < 300) this.txn = { from, params, rcpts: [], rcptParams: [] }
        return this.respond(r)
      }
      case "RCPT": {
        const m = /^TO:\s*<([^>]*)>\s*(.*)$/i.exec(arg)
        if (this.txn === undefined) return this.respond(reply(503, "5.5.1 MAIL first"))
        if (m === null) return this.respond(reply(501, "5.5.4 Syntax: RCPT TO:<address>"))
        const [, to = "", params = ""] = m
        const r = o.rcptTo?.(to, params) ?? reply(250, "2.1.5 Ok")
        if (r._tag === "Reply" && r.code >= 200 && r.code < 300) {
          this.txn.rcpts.push(to)
          this.txn.rcptParams.push(params)
        }
        return this.respond(r)
      }
      case "DATA": {
        if (this.txn === undefined || this.txn.rcpts.length === 0) return this.respond(reply(554, "5.5.1 No valid recipients"))
        const r = o.data?.({ mailFrom: this.txn.from, rcptTo: [...this.txn.rcpts] }) ??
          reply(354, "End data with <CR><LF>.<CR><LF>")
        if (r._tag === "Reply" && r.code === 354) {
          this.mode = "data"
          this.buf = Buffer.concat([Buffer.from("\r\n"), this.buf])
        }
        return this.respond(r)
      }
      case "RSET":
        this.txn = undefined
        return this.respond(reply(250, "2.0.0 Ok"))
      case "NOOP":
        return this.respond(reply(250, "2.0.0 Ok"))
      case "QUIT":
        return this.respond(reply(221, "2.0.0 Bye", { close: true }))
      case "STARTTLS":
        if (o.starttls === undefined || this.secure) return this.respond(reply(502, "5.5.1 STARTTLS not available"))
        await this.respond(reply(220, "2.0.0 Ready to start TLS"))
        return this.upgrade(o.starttls)
      default:
        return this.respond(reply(500, "5.5.2 Command not recognized"))
    }
  }

  private upgrade(credentials: NonNullable<Options["starttls"]>) {
    // Anything pipelined after STARTTLS arrived in plaintext and must not be acted on (RFC 3207 §4.2).
    this.buf = Buffer.alloc(0)
    this.socket.off("data", this.onData)
    const secure = new tls.TLSSocket(this.socket, { isServer: true, key: credentials.key, cert: credentials.cert })
    secure.on("error", () => this.socket.destroy())
    secure.on("data", this.onData)
    this.socket = secure
    this.secure = true
    this.helo = ""
    this.txn = undefined
  }

  private async finishData(raw: Buffer) {
    const txn = this.txn
    this.txn = undefined
    if (txn === undefined) return
    this.state.received++
    const data = Buffer.from(raw.toString("latin1").replace(/(^|\r\n)\./g, "$1"), "latin1")
    const message: Message = {
      id: this.state.messages.length + 1,
      helo: this.helo,
      mailFrom: txn.from,
      mailParams: txn.params,
      rcptTo: txn.rcpts,
      rcptParams: txn.rcptParams,
      data,
      raw: Buffer.from(raw),
      tls: this.secure
    }
    const o = this.options
    const r = o.message?.(message) ??
      (o.size !== undefined && data.length > o.size
        ? reply(552, "5.3.4 Message too big")
        : reply(250, `2.0.0 Ok: queued as ${message.id}`))
    if (r._tag === "Reply" && r.code >= 200 && r.code < 300) {
      this.state.messages.push(message)
      for (const w of this.state.waiters) w()
    }
    return this.respond(r)
  }
}

/** Starts a sink for the enclosing scope. */
export const make: (options?: Options) => Effect.Effect<Service, SmtpSinkError, Scope.Scope> = Effect.fn(
  "SmtpSink.make"
)(function*(options: Options = {}) {
  const state: State = { options, messages: [], commands: [], connections: 0, received: 0, waiters: new Set() }
  const sockets = new Set<net.Socket>()
  const server = yield* Effect.acquireRelease(
    Effect.callback<net.Server, SmtpSinkError>((resume) => {
      const s = net.createServer((socket) => {
        state.connections++
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        socket.setNoDelay(true)
        new Session(socket, state)
      })
      s.once("error", (e) => resume(Effect.fail(new SmtpSinkError({ reason: "ListenFailed", detail: e.message }))))
      s.listen(0, "127.0.0.1", () => resume(Effect.succeed(s)))
    }),
    (s) =>
      Effect.callback<void>((resume) => {
        s.close(() => resume(Effect.void))
        for (const socket of sockets) socket.destroy()
      })
  )
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0

  const awaitMessages = (n: number, timeout: Duration.Input = "5 seconds") =>
    Effect.callback<ReadonlyArray<Message>>((resume) => {
      const check = () => {
        if (state.messages.length < n) return false
        state.waiters.delete(check)
        resume(Effect.succeed([...state.messages]))
        return true
      }
      if (check()) return
      state.waiters.add(check)
      return Effect.sync(() => state.waiters.delete(check))
    }).pipe(
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.fail(
            new SmtpSinkError({ reason: "Timeout", detail: `${state.messages.length} of ${n} messages after ${Duration.format(Duration.fromInputUnsafe(timeout))}` })
          )
      })
    )

  return SmtpSink.of({
    host: "127.0.0.1",
    port,
    messages: Effect.sync(() => [...state.messages]),
    count: Effect.sync(() => state.messages.length),
    received: Effect.sync(() => state.received),
    awaitMessages,
    connections: Effect.sync(() => state.connections),
    commands: Effect.sync(() => [...state.commands]),
    setScript: (next) =>
      Effect.sync(() => {
        state.options = next
      })
  })
})
