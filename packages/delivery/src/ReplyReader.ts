/**
 * Reads SMTP replies from a socket: splits the byte stream into lines, groups continuation lines (`250-…`) up to
 * the final line (`250 …`), parses each group with `SmtpReply.parse` (enhanced codes included) and queues the
 * result for the one waiting reader.
 *
 * Bounded memory against a hostile server: a line longer than {@link maxLineLength} or a reply with more than
 * {@link maxReplyLines} lines is a protocol error, not a growing buffer.
 *
 * {@link ReplyReader.discard} drops everything buffered: called at the STARTTLS upgrade so that plaintext a
 * man-in-the-middle appended to the `220` can never be read as a reply inside TLS (CVE-2021-38371 class; the
 * client-side mirror of CVE-2011-0411).
 *
 * @since 0.1.0
 */
import { SmtpReply } from "@cartero/smtp"
import { Effect } from "effect"
import type * as net from "node:net"
import { SessionError } from "./ConnectError.ts"

/** RFC 5321 allows 512 octets per reply line; we accept more from lenient servers, but not without bound. */
export const maxLineLength = 4096
/** EHLO replies are the longest in practice (a few dozen lines). */
export const maxReplyLines = 256

/** One reply as received: the parsed form and the raw lines (without CRLF) for capability parsing and logs. */
export interface Reply {
  readonly reply: SmtpReply.SmtpReply
  readonly lines: ReadonlyArray<string>
}

type Item = { readonly _tag: "Reply"; readonly value: Reply } | { readonly _tag: "Error"; readonly error: SessionError }

/**
 * A reply queue fed by socket events. Kept as plain mutable state: it lives exactly as long as its connection and
 * is only read by the single fiber that owns the connection at a time.
 */
export class ReplyReader {
  private socket: net.Socket
  private partial: Buffer = Buffer.alloc(0)
  private group: Array<string> = []
  private readonly items: Array<Item> = []
  private waiter: (() => void) | undefined
  private detachListeners: () => void
  /** Set once the socket closed or errored; no more replies will come. */
  closed = false
  /** The socket error, if any (e.g. ECONNRESET). */
  error: Error | undefined

  constructor(socket: net.Socket) {
    this.socket = socket
    this.detachListeners = this.attach(socket)
  }

  private attach(socket: net.Socket): () => void {
    const onData = (chunk: Buffer) => this.feed(chunk)
    const onClose = () => {
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

  private feed(chunk: Buffer): void {
    let buf = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk])
    let nl = buf.indexOf(0x0a)
    while (nl >= 0) {
      const end = nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl
      this.line(buf.subarray(0, end).toString("utf8"))
      buf = buf.subarray(nl + 1)
      nl = buf.indexOf(0x0a)
    }
    if (buf.length > maxLineLength) {
      this.fail(`reply line longer than ${maxLineLength} octets`)
      buf = Buffer.alloc(0)
    }
    // Copy the remainder so the (possibly large) chunk it points into can be collected.
    this.partial = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf)
    this.wake()
  }

  private line(text: string): void {
    if (text.length > maxLineLength) return this.fail(`reply line longer than ${maxLineLength} octets`)
    this.group.push(text)
    if (/^\d{3}-/.test(text)) {
      if (this.group.length > maxReplyLines) this.fail(`reply longer than ${maxReplyLines} lines`)
      return
    }
    const lines = this.group
    this.group = []
    const reply = /^\d{3}(?: |$)/.test(text) ? SmtpReply.parse(lines) : undefined
    if (reply === undefined) return this.fail(`malformed reply: ${JSON.stringify(lines.join("\n").slice(0, 200))}`)
    this.items.push({ _tag: "Reply", value: { reply, lines } })
  }

  private fail(detail: string): void {
    this.group = []
    this.items.push({ _tag: "Error", error: new SessionError({ reason: "protocol", detail }) })
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** Whether anything (a reply, a partial line) is buffered that nobody asked for yet. */
  get hasPending(): boolean {
    return this.items.length > 0 || this.group.length > 0 || this.partial.length > 0
  }

  /**
   * The next reply. Fails with `closed` when the connection ends first, `protocol` on a malformed reply. No
   * timeout here: callers bound each wait with the timeout of the step they are in.
   */
  readonly next = (context: string): Effect.Effect<Reply, SessionError> => this.nextWithin(context, undefined)

  /**
   * {@link next} bounded by `timeout` (`millis` and the error to fail with). The timer lives inside the callback:
   * `Effect.timeoutOrElse` forks a racing fiber and a sleep per read, measured at several % of the delivery CPU
   * (docs/benchmarks.md, "Profile and optimisations"); a reply already buffered resumes without any timer.
   */
  readonly nextWithin = (
    context: string,
    timeout: { readonly millis: number; readonly error: () => SessionError } | undefined
  ): Effect.Effect<Reply, SessionError> =>
    Effect.callback<Reply, SessionError>((resume) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const attempt = (): boolean => {
        const item = this.items.shift()
        if (item !== undefined) {
          resume(item._tag === "Reply" ? Effect.succeed(item.value) : Effect.fail(item.error))
          return true
        }
        if (this.closed) {
          const why = this.error === undefined ? "connection closed" : `connection error (${this.error.message})`
          resume(Effect.fail(new SessionError({ reason: "closed", detail: `${why} ${context}` })))
          return true
        }
        return false
      }
      if (attempt()) return
      // Woken on every chunk; a partial reply re-arms the waiter until a whole reply (or the close) arrives.
      const wait = (): void => {
        if (attempt()) {
          if (timer !== undefined) clearTimeout(timer)
        } else this.waiter = wait
      }
      this.waiter = wait
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          if (this.waiter === wait) this.waiter = undefined
          resume(Effect.fail(timeout.error()))
        }, timeout.millis)
      }
      return Effect.sync(() => {
        if (timer !== undefined) clearTimeout(timer)
        if (this.waiter === wait) this.waiter = undefined
      })
    })

  /**
   * Drops everything buffered and returns how many octets/lines were dropped. Used at the STARTTLS upgrade.
   */
  discard(): number {
    let dropped = this.partial.length
    for (const l of this.group) dropped += l.length + 2
    for (const item of this.items) if (item._tag === "Reply") for (const l of item.value.lines) dropped += l.length + 2
    this.partial = Buffer.alloc(0)
    this.group = []
    this.items.length = 0
    return dropped
  }

  /** Moves the reader to another socket (the TLS socket wrapping the plain one). Buffered data is discarded. */
  swap(next: net.Socket): number {
    this.detachListeners()
    const dropped = this.discard()
    this.socket = next
    this.detachListeners = this.attach(next)
    return dropped
  }

  /** The socket currently read from. */
  get current(): net.Socket {
    return this.socket
  }
}
