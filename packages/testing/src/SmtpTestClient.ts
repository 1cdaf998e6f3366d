/**
 * A deliberately dumb SMTP client for protocol tests: it sends exactly the bytes it is told to, reads whole replies
 * (RFC 5321 §4.2.1: continuation lines `250-…` up to a final `250 …`), and never "helps" (no dot-stuffing, no CRLF
 * repair, no pipelining logic). That is what lets a test send `\n.\n`, a bare CR or half a command and see what the
 * server under test does with it.
 *
 * Every read is bounded by a timeout (default 5 s) so a test never hangs, and the client keeps a log of the whole
 * conversation (`C: …` / `S: …`) for error messages. The {@link Transcript} runner is built on it.
 *
 * @since 0.1.0
 */
import { SmtpReply } from "@cartero/smtp"
import { Data, Duration, Effect, type Scope } from "effect"
import * as net from "node:net"
import * as tls from "node:tls"

/** Why a client operation failed. */
export type SmtpClientErrorReason =
  | "ConnectFailed"
  | "Timeout"
  | "Closed"
  | "MalformedReply"
  | "UnexpectedData"
  | "TlsFailed"
  | "WriteFailed"

/** A failed client operation; `lines` holds what was read of the reply in progress, if anything. */
export class SmtpClientError extends Data.TaggedError("SmtpClientError")<{
  readonly reason: SmtpClientErrorReason
  readonly detail: string
  readonly lines: ReadonlyArray<string>
}> {
  override get message(): string {
    return `${this.reason}: ${this.detail}`
  }
}

/** TLS settings for STARTTLS. Without `ca` the server certificate is not verified (self-signed test certs). */
export interface TlsOptions {
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>
  readonly servername?: string
  /** Defaults to `true` when `ca` is given, else `false`. */
  readonly rejectUnauthorized?: boolean
}

/** Where to connect and how patient to be. */
export interface ConnectOptions {
  readonly host: string
  readonly port: number
  /** Bound on every single read (one reply, one close, one handshake). Default 5 seconds. */
  readonly timeout?: Duration.Input
  /** Defaults for {@link SmtpTestClient.upgradeTls}. */
  readonly tls?: TlsOptions
  /** The local address to connect from (e.g. `127.0.0.2`, to be another client of a per-address limit). */
  readonly localAddress?: string
}

/** One reply as read from the wire: the raw lines (without CRLF) and their parsed form. */
export interface Reply {
  readonly lines: ReadonlyArray<string>
  readonly reply: SmtpReply.SmtpReply
}

/** A connected test client. Closed when the scope that {@link connect} ran in closes. */
export interface SmtpTestClient {
  /** Sends `line` followed by CRLF. */
  readonly send: (line: string) => Effect.Effect<void, SmtpClientError>
  /** Sends the bytes as given: no CRLF added, nothing escaped. */
  readonly sendRaw: (data: string | Uint8Array) => Effect.Effect<void, SmtpClientError>
  /** Reads one complete (possibly multi-line) reply. */
  readonly readReply: (timeout?: Duration.Input) => Effect.Effect<Reply, SmtpClientError>
  /** `send(line)` then `readReply()`. */
  readonly command: (line: string) => Effect.Effect<Reply, SmtpClientError>
  /** Upgrades the socket to TLS right now (after the caller has seen `220` to STARTTLS). */
  readonly upgradeTls: (options?: TlsOptions) => Effect.Effect<void, SmtpClientError>
  /** Sends STARTTLS, requires a 2yz reply, then upgrades. Returns the STARTTLS reply. */
  readonly startTls: (options?: TlsOptions) => Effect.Effect<Reply, SmtpClientError>
  /** Succeeds when the server closes the connection; fails if it sends anything or stays open past the timeout. */
  readonly expectClose: (timeout?: Duration.Input) => Effect.Effect<void, SmtpClientError>
  /** Closes our side (idempotent). */
  readonly close: Effect.Effect<void>
  /** Whether the connection is currently TLS. */
  readonly isTls: Effect.Effect<boolean>
  /** The conversation so far: `C: …`, `S: …` and `-- …` event lines. */
  readonly conversation: Effect.Effect<ReadonlyArray<string>>
}

const defaultTimeout: Duration.Input = "5 seconds"

const fail = (reason: SmtpClientErrorReason, detail: string, lines: ReadonlyArray<string> = []) =>
  new SmtpClientError({ reason, detail, lines })

// A final reply line: three digits then a space or the end of the line (RFC 5321 §4.2.1).
const isFinalLine = (line: string): boolean => /^\d{3}(?: |$)/.test(line)
const isContinuationLine = (line: string): boolean => /^\d{3}-/.test(line)

/** Shows control characters, so a log line with a bare CR or LF is readable. */
export const visible = (s: string): string =>
  s.replace(/[\u0000-\u001f\u007f]/g, (c) =>
    c === "\r" ? "\\r" : c === "\n" ? "\\n" : c === "\t" ? "\\t" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`)

/**
 * Socket plumbing: splits incoming bytes into LF-terminated lines (a trailing CR is dropped) and lets one reader
 * wait for the next line or for the close. Kept as plain mutable state: it lives exactly as long as the connection.
 */
class LineSocket {
  socket: net.Socket
  private pending: Buffer = Buffer.alloc(0)
  readonly lines: Array<string> = []
  closed = false
  error: Error | undefined
  readonly log: Array<string> = []
  private waiter: (() => void) | undefined
  private detach: () => void

  constructor(socket: net.Socket) {
    this.socket = socket
    this.detach = this.attach(socket)
  }

  private attach(socket: net.Socket): () => void {
    const onData = (chunk: Buffer) => {
      this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk])
      let nl = this.pending.indexOf(0x0a)
      while (nl >= 0) {
        const end = nl > 0 && this.pending[nl - 1] === 0x0d ? nl - 1 : nl
        this.push(this.pending.subarray(0, end).toString("utf8"))
        this.pending = this.pending.subarray(nl + 1)
        nl = this.pending.indexOf(0x0a)
      }
      this.wake()
    }
    const onClose = () => {
      // An unterminated last line is still worth showing in a failure.
      if (this.pending.length > 0) this.push(this.pending.toString("utf8"))
      this.pending = Buffer.alloc(0)
      if (!this.closed) this.log.push("-- closed by peer")
      this.closed = true
      this.wake()
    }
    const onError = (e: Error) => {
      this.error = e
    }
    socket.on("data", onData)
    socket.on("close", onClose)
    socket.on("error", onError)
    return () => {
      socket.off("data", onData)
      socket.off("close", onClose)
      socket.off("error", onError)
    }
  }

  private push(line: string) {
    this.lines.push(line)
    this.log.push(`S: ${visible(line)}`)
  }

  private wake() {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** Waits until a line is buffered or the socket closed; the caller re-checks the state. */
  readonly changed: Effect.Effect<void> = Effect.callback<void>((resume) => {
    if (this.lines.length > 0 || this.closed) return resume(Effect.void)
    this.waiter = () => resume(Effect.void)
    return Effect.sync(() => {
      this.waiter = undefined
    })
  })

  /** Swaps in the TLS socket. Plaintext received after the STARTTLS reply is discarded (RFC 3207 §4.2). */
  swap(next: net.Socket): ReadonlyArray<string> {
    this.detach()
    const dropped = this.lines.splice(0, this.lines.length)
    this.pending = Buffer.alloc(0)
    this.socket = next
    this.detach = this.attach(next)
    return dropped
  }
}

/**
 * Opens a connection. The socket is destroyed when the surrounding scope closes, whatever the test did.
 */
export const connect: (options: ConnectOptions) => Effect.Effect<SmtpTestClient, SmtpClientError, Scope.Scope> = Effect
  .fn("SmtpTestClient.connect")(function*(options: ConnectOptions) {
    const stepTimeout = options.timeout ?? defaultTimeout
    const socket = yield* Effect.acquireRelease(
      Effect.callback<net.Socket, SmtpClientError>((resume) => {
        const s = net.connect({
          host: options.host,
          port: options.port,
          ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {})
        })
        s.setNoDelay(true)
        const onError = (e: Error) => resume(Effect.fail(fail("ConnectFailed", `${options.host}:${options.port}: ${e.message}`)))
        s.once("error", onError)
        s.once("connect", () => {
          s.off("error", onError)
          resume(Effect.succeed(s))
        })
        return Effect.sync(() => s.destroy())
      }).pipe(
        Effect.timeoutOrElse({
          duration: stepTimeout,
          orElse: () => Effect.fail(fail("Timeout", `connecting to ${options.host}:${options.port}`))
        })
      ),
      (s) => Effect.sync(() => s.destroy())
    )
    const wire = new LineSocket(socket)
    let tlsActive = false
    // Anything we opened later (the TLS socket) is destroyed with the scope as well.
    yield* Effect.addFinalizer(() => Effect.sync(() => wire.socket.destroy()))

    const write = (data: string | Uint8Array, logLine: string) =>
      Effect.callback<void, SmtpClientError>((resume) => {
        if (wire.closed || wire.socket.destroyed) {
          return resume(Effect.fail(fail("Closed", `cannot send ${logLine}: connection closed`)))
        }
        wire.log.push(logLine)
        wire.socket.write(data, (e) => resume(e ? Effect.fail(fail("WriteFailed", e.message)) : Effect.void))
      })

    const send = (line: string) => write(`${line}\r\n`, `C: ${visible(line)}`)
    const sendRaw = (data: string | Uint8Array) =>
      write(data, `C(raw): ${visible(typeof data === "string" ? data : Buffer.from(data).toString("latin1"))}`)

    const readReply = (timeout?: Duration.Input) => {
      const got: Array<string> = []
      const loop: Effect.Effect<Reply, SmtpClientError> = Effect.gen(function*() {
        while (true) {
          const line = wire.lines.shift()
          if (line === undefined) {
            if (wire.closed) {
              return yield* fail("Closed", got.length === 0 ? "connection closed before a reply" : "connection closed mid-reply", got)
            }
            yield* wire.changed
            continue
          }
          got.push(line)
          if (isContinuationLine(line)) continue
          if (!isFinalLine(line)) return yield* fail("MalformedReply", `not a reply line: ${visible(line)}`, got)
          const reply = SmtpReply.parse(got)
          if (reply === undefined) return yield* fail("MalformedReply", "inconsistent reply codes", got)
          return { lines: got, reply }
        }
      })
      return loop.pipe(
        Effect.timeoutOrElse({
          duration: timeout ?? stepTimeout,
          orElse: () =>
            Effect.fail(fail("Timeout", `no complete reply within ${Duration.format(Duration.fromInputUnsafe(timeout ?? stepTimeout))}`, got))
        })
      )
    }

    const upgradeTls = (tlsOptions?: TlsOptions) => {
      const o = tlsOptions ?? options.tls ?? {}
      return Effect.callback<void, SmtpClientError>((resume) => {
        const ca = o.ca === undefined || typeof o.ca === "string" || Buffer.isBuffer(o.ca) ? o.ca : [...o.ca]
        const secure = tls.connect({
          socket: wire.socket,
          rejectUnauthorized: o.rejectUnauthorized ?? ca !== undefined,
          ...(ca !== undefined ? { ca } : {}),
          ...(o.servername !== undefined ? { servername: o.servername } : {})
        })
        const dropped = wire.swap(secure)
        for (const d of dropped) wire.log.push(`-- discarded plaintext before TLS: ${visible(d)}`)
        const onError = (e: Error) => resume(Effect.fail(fail("TlsFailed", e.message)))
        secure.once("error", onError)
        secure.once("secureConnect", () => {
          secure.off("error", onError)
          secure.setNoDelay(true)
          tlsActive = true
          wire.log.push(`-- tls ${secure.getProtocol() ?? "established"}`)
          resume(Effect.void)
        })
      }).pipe(
        Effect.timeoutOrElse({ duration: stepTimeout, orElse: () => Effect.fail(fail("Timeout", "TLS handshake")) })
      )
    }

    const client: SmtpTestClient = {
      send,
      sendRaw,
      readReply,
      command: (line) => Effect.andThen(send(line), readReply()),
      upgradeTls,
      startTls: (tlsOptions) =>
        Effect.gen(function*() {
          const r = yield* Effect.andThen(send("STARTTLS"), readReply())
          if (!SmtpReply.isPositive(r.reply)) return yield* fail("TlsFailed", `STARTTLS refused: ${r.lines.join(" / ")}`, r.lines)
          yield* upgradeTls(tlsOptions)
          return r
        }),
      expectClose: (timeout) =>
        Effect.gen(function*() {
          while (true) {
            const line = wire.lines.shift()
            if (line !== undefined) return yield* fail("UnexpectedData", `expected close, got: ${visible(line)}`, [line])
            if (wire.closed) return
            yield* wire.changed
          }
        }).pipe(
          Effect.timeoutOrElse({
            duration: timeout ?? stepTimeout,
            orElse: () => Effect.fail(fail("Timeout", "connection still open"))
          })
        ),
      close: Effect.sync(() => {
        if (!wire.closed) wire.log.push("-- closed by client")
        wire.closed = true
        wire.socket.destroy()
      }),
      isTls: Effect.sync(() => tlsActive),
      conversation: Effect.sync(() => [...wire.log])
    }
    return client
  })
