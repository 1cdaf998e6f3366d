/**
 * Reads SMTP replies from a socket: splits the byte stream into lines, groups continuation lines (`250-…`) up to
 * the final line (`250 …`), parses each group with `SmtpReply.parse` (enhanced codes included) and queues the
 * result for the one waiting reader.
 *
 * Bounded memory against a hostile server: a line longer than {@link maxLineLength} or a reply with more than
 * {@link maxReplyLines} lines is a protocol error, not a growing buffer. So is a reply nobody asked for: the
 * connection tells the reader how many replies its writes ask for ({@link ReplyReader.expect}: one per command,
 * one for the end of DATA; the greeting is expected from the start), and a reply beyond them is "unsolicited" (RFC
 * 5321 §4.2: every command gets exactly one reply). So at most one reply per command in flight is ever queued, and a
 * next hop flooding replies costs one error, not memory. A protocol error is final: what was queued before it is
 * still read in order, then every read fails with it, and nothing more is read from the socket.
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

/** Whether `reply` can answer a step: a completion, or a 3yz where the step allows one (DATA, AUTH). */
const answers = (reply: SmtpReply.SmtpReply, intermediate: boolean): boolean =>
  SmtpReply.classOf(reply) !== undefined || (intermediate && reply.code >= 300 && reply.code <= 399)

/** The error for a reply that cannot answer the step `context` ("to DATA"); the reply is quoted, cut short. */
export const unexpected = (context: string, reply: SmtpReply.SmtpReply): SessionError =>
  new SessionError({ reason: "unexpected", detail: `${context}: ${quote(reply)}` })

/** At most this much of an offending reply is quoted in an error. */
const previewLength = 200

const preview = (lines: ReadonlyArray<string>): string => JSON.stringify(lines.join("\n").slice(0, previewLength))

/** A received reply on one line, cut to {@link previewLength} characters. */
const quote = (reply: SmtpReply.SmtpReply): string => {
  const text = SmtpReply.toString(reply)
  return text.length > previewLength ? `${text.slice(0, previewLength)}…` : text
}

/**
 * A reply queue fed by socket events. Kept as plain mutable state: it lives exactly as long as its connection and
 * is only read by the single fiber that owns the connection at a time.
 */
export class ReplyReader {
  private socket: net.Socket
  private partial: Buffer = Buffer.alloc(0)
  private group: Array<string> = []
  private readonly items: Array<Reply> = []
  /** Replies the writes so far asked for and that have not arrived: the greeting at first. */
  private outstanding = 1
  /** The protocol error that ended reading, if any. */
  private failure: SessionError | undefined
  /** Octets dropped since then (reported by {@link discard}). */
  private ignored = 0
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
    // After a protocol error nothing the server sends matters any more: dropped, never buffered.
    if (this.failure !== undefined) {
      this.ignored += chunk.length
      return
    }
    let buf = this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk])
    let nl = buf.indexOf(0x0a)
    while (nl >= 0 && this.failure === undefined) {
      const end = nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl
      this.line(buf.subarray(0, end).toString("utf8"))
      buf = buf.subarray(nl + 1)
      nl = buf.indexOf(0x0a)
    }
    if (this.failure === undefined && buf.length > maxLineLength) this.fail(`reply line longer than ${maxLineLength} octets`)
    if (this.failure !== undefined) this.ignored += buf.length
    // Copy the remainder so the (possibly large) chunk it points into can be collected.
    this.partial = this.failure !== undefined || buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf)
    this.wake()
  }

  private line(text: string): void {
    if (text.length > maxLineLength) return this.fail(`reply line longer than ${maxLineLength} octets`)
    this.group.push(text)
    if (/^\d{3}-/.test(text)) {
      if (this.group.length > maxReplyLines) this.fail(`reply longer than ${maxReplyLines} lines`)
      return
    }
    if (this.outstanding === 0) return this.fail(`unsolicited reply: ${preview(this.group)}`)
    const lines = this.group
    this.group = []
    this.outstanding--
    const reply = /^\d{3}(?: |$)/.test(text) ? SmtpReply.parse(lines) : undefined
    if (reply === undefined) return this.fail(`malformed reply: ${preview(lines)}`)
    this.items.push({ reply, lines })
  }

  private fail(detail: string): void {
    for (const l of this.group) this.ignored += l.length + 2
    this.group = []
    this.partial = Buffer.alloc(0)
    this.failure = new SessionError({ reason: "protocol", detail })
  }

  /**
   * Announces that `replies` more replies are due: called before the write that asks for them (a command, a
   * PIPELINING group, the end of DATA), so that a fast server's answer is never taken for unsolicited.
   */
  expect(replies: number): void {
    this.outstanding += replies
  }

  /** Replies queued and not read yet (bounded by the replies asked for; for tests and diagnostics). */
  get buffered(): number {
    return this.items.length
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = undefined
    w?.()
  }

  /** Whether anything (a reply, a partial line, a protocol error) is buffered that nobody asked for yet. */
  get hasPending(): boolean {
    return this.items.length > 0 || this.group.length > 0 || this.partial.length > 0 || this.failure !== undefined
  }

  /**
   * The next reply. Fails with `closed` when the connection ends first, `protocol` on a malformed or unsolicited
   * reply, `unexpected` on a reply that cannot answer the step (see {@link nextWithin}). No timeout here: callers
   * bound each wait with the timeout of the step they are in.
   */
  readonly next = (context: string, intermediate = false): Effect.Effect<Reply, SessionError> =>
    this.nextWithin(context, undefined, intermediate)

  /**
   * {@link next} bounded by `timeout` (`millis` and the error to fail with). The timer lives inside the callback:
   * `Effect.timeoutOrElse` forks a racing fiber and a sleep per read, measured at several % of the delivery CPU
   * (docs/benchmarks.md, "Profile and optimisations"); a reply already buffered resumes without any timer.
   *
   * Every step of SMTP waits for a completion reply (2yz, 4yz or 5yz), and DATA and AUTH also for a 3yz
   * (`intermediate`). Any other reply (a 1yz, a 3yz where a completion is due, `0yz`, `6yz`–`9yz`) fails the read
   * with `unexpected` (detail: `context` and the reply): RFC 5321 §4.2.1 has a client treat codes it cannot place
   * as fatal to the transaction, and reading on could take the next reply for the answer to another command.
   */
  readonly nextWithin = (
    context: string,
    timeout: { readonly millis: number; readonly error: () => SessionError } | undefined,
    intermediate = false
  ): Effect.Effect<Reply, SessionError> =>
    Effect.callback<Reply, SessionError>((resume) => {
      let timer: ReturnType<typeof setTimeout> | undefined
      const attempt = (): boolean => {
        const item = this.items.shift()
        if (item !== undefined) {
          resume(answers(item.reply, intermediate) ? Effect.succeed(item) : Effect.fail(unexpected(context, item.reply)))
          return true
        }
        if (this.failure !== undefined) {
          resume(Effect.fail(this.failure))
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
   * Drops everything buffered (a protocol error too: plaintext after the `220` is ignored, whatever it was) and
   * returns how many octets/lines were dropped. Used at the STARTTLS upgrade.
   */
  discard(): number {
    let dropped = this.partial.length + this.ignored
    for (const l of this.group) dropped += l.length + 2
    for (const item of this.items) for (const l of item.lines) dropped += l.length + 2
    this.partial = Buffer.alloc(0)
    this.group = []
    this.items.length = 0
    this.failure = undefined
    this.ignored = 0
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
