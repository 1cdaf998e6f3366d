/**
 * One mail transaction on an open {@link SmtpConnection}: MAIL, RCPT…, DATA, the message, and the per-recipient
 * verdicts.
 *
 * - With PIPELINING (RFC 2920) `[RSET,] MAIL, RCPT…, DATA` go out in one write and the replies are read in order;
 *   without it, each command waits for its reply (and DATA is not sent when no recipient was accepted).
 * - When the server offers CHUNKING (RFC 3030) and the mode is `auto`, the message goes by BDAT instead of DATA
 *   ({@link sendChunks}); a `BODY=BINARYMIME` message goes only that way, to a server that also offers BINARYMIME,
 *   and is bounced `554 5.6.3` otherwise (no conversion, docs/decisions/bdat-on-smtp-server.md).
 * - The extension parameters are sent only when advertised; a message that needs 8BITMIME or SMTPUTF8 meeting a
 *   server without them fails permanently before MAIL (`554 5.6.3` / `553 5.6.7`), as does a message above the
 *   server's SIZE (`552 5.3.4`): retrying would not change the server's capabilities.
 * - A broken session (timeout, connection lost, malformed reply) defers every recipient that has no final verdict
 *   yet, with a synthetic reply saying what happened; recipients already refused at RCPT keep that reply.
 * - Every reply is judged by its class (RFC 5321 §4.2.1): 2yz accepts, 4yz defers, 5yz fails. A reply no class
 *   covers where a completion is due (`150`, `399`, `000`, `999`…), and anything but `354`, 4yz or 5yz to DATA (a
 *   `250` means the message was never sent), ends the session: the recipients without a verdict are deferred with
 *   `451 4.5.0 unexpected reply from … to RCPT TO: 150 hmm` (docs/delivery.md, "Odd replies").
 *
 * - LMTP (RFC 2033 §4.2, a connection whose `protocol` is `lmtp`): the end of data is answered once per recipient
 *   accepted at RCPT, in RCPT order, so each of those recipients gets its own verdict (one mailbox over quota, `452`,
 *   defers that recipient only). A session that breaks while those replies arrive defers the recipients still
 *   without one.
 *
 * The synthetic replies written here are defined in {@link Replies}.
 *
 * @since 0.1.0
 */
import { type Envelope, SmtpReply } from "@cartero/smtp"
import { Data, Effect, Stream } from "effect"
import * as Commands from "./Commands.ts"
import { SessionError } from "./ConnectError.ts"
import * as DeliveryResult from "./DeliveryResult.ts"
import * as DotStuffer from "./DotStuffer.ts"
import * as Replies from "./Replies.ts"
import * as ReplyReader from "./ReplyReader.ts"
import type { SmtpConnection } from "./SmtpConnection.ts"
import type { Timeouts } from "./Timeouts.ts"

/**
 * The message: the whole byte array, or a stream of chunks (large messages straight from the store). CRLF line
 * endings expected; see {@link DotStuffer}. A stream failure while sending defers the transaction.
 */
export type MessageBody = Uint8Array | Stream.Stream<Uint8Array, unknown>

/** A reused connection turned out to be dead at RSET: the caller retries on a fresh one. Nothing was sent. */
export class StaleConnection extends Data.TaggedError("StaleConnection")<{ readonly detail: string }> {}

/** Largest single write of message data; each write is bounded by the data-block timeout. */
const blockSize = 64 * 1024

interface Verdict {
  readonly reply: SmtpReply.SmtpReply
  readonly stage: DeliveryResult.Stage
  readonly synthetic: boolean
}

const ok = (r: SmtpReply.SmtpReply) => r.code >= 200 && r.code < 300

/** What the message needs from the server. */
export const requirements = (envelope: Envelope.Envelope, message: MessageBody): Commands.Requirements => {
  const bytes = message instanceof Uint8Array ? message : undefined
  const smtpUtf8 = envelope.params.smtpUtf8 || Commands.envelopeNeedsUtf8(envelope)
  const eightBit = smtpUtf8 || envelope.params.body === "8BITMIME" || envelope.params.body === "BINARYMIME" ||
    (envelope.params.body === undefined && bytes !== undefined && DotStuffer.hasEightBit(bytes))
  return { smtpUtf8, eightBit, size: envelope.params.size ?? bytes?.length, binaryMime: envelope.params.body === "BINARYMIME" }
}

/** Whether the message goes by BDAT (RFC 3030) rather than DATA: `auto` uses it when the server offers CHUNKING. */
export type ChunkingMode = "auto" | "off"

/**
 * Runs the transaction. `reset` sends RSET first (a pooled connection that carried an earlier transaction).
 * Never fails except with {@link StaleConnection}; every other problem is in the per-recipient results.
 */
export const run = Effect.fnUntraced(function*(
  conn: SmtpConnection,
  envelope: Envelope.Envelope,
  message: MessageBody,
  timeouts: Timeouts,
  reset: boolean,
  chunking: ChunkingMode = "auto"
): Effect.fn.Return<Array<DeliveryResult.RecipientResult>, StaleConnection> {
  const recipients = envelope.recipients
  const caps = conn.capabilities
  const req = requirements(envelope, message)
  const where = DeliveryResult.describeRemote(conn.remote)
  const allFail = (reply: SmtpReply.SmtpReply) => DeliveryResult.all(recipients, reply, "MAIL", true)
  const bdat = chunking === "auto" && caps.chunking

  // RFC 3030 §3: a binary message travels only by BDAT with BODY=BINARYMIME; no conversion here (5.6.3).
  if (req.binaryMime === true && !(bdat && caps.keywords.has("BINARYMIME"))) return allFail(Replies.binaryMimeUnsupported(where))
  if (req.smtpUtf8 && !caps.smtpUtf8) return allFail(Replies.smtpUtf8Unsupported(where))
  if (req.eightBit && req.binaryMime !== true && !caps.eightBitMime) return allFail(Replies.eightBitMimeUnsupported(where))
  // RFC 8689: a REQUIRETLS message travels only over verified TLS to a server that promises to keep the requirement.
  if (envelope.params.requireTls === true && (conn.remote.tls?.authorized !== true || !caps.keywords.has("REQUIRETLS"))) {
    return allFail(Replies.requireTlsUnavailable(where))
  }
  if (caps.size !== undefined && caps.size > 0 && req.size !== undefined && req.size > caps.size) {
    return allFail(Replies.messageTooBig(where, req.size, caps.size))
  }

  // A reused connection is probed with RSET: a dead one is retried elsewhere, since nothing of ours was sent yet.
  const pipelineReset = reset && caps.pipelining
  if (reset && !pipelineReset) {
    const rset = yield* conn.command("RSET", timeouts.command, "RSET").pipe(
      Effect.mapError((e) => new StaleConnection({ detail: e.detail }))
    )
    if (!ok(rset.reply)) {
      conn.markBroken()
      return yield* new StaleConnection({ detail: `RSET answered ${rset.lines.join(" / ")}` })
    }
  }

  // Final verdicts by recipient index; recipients without one when the session ends get a synthetic deferral.
  const decided = new Map<number, Verdict>()
  const accepted: Array<number> = []
  let stage: DeliveryResult.Stage = "MAIL"
  const verdict = (reply: SmtpReply.SmtpReply, at: DeliveryResult.Stage): Verdict => ({ reply, stage: at, synthetic: false })

  const exchange = Effect.gen(function*() {
    const mail = Commands.mailFrom(envelope, req, caps)
    const rcpts = recipients.map((r) => Commands.rcptTo(r, caps, Commands.usesUtf8(req, caps)))
    let mailReply: SmtpReply.SmtpReply
    let dataReply: SmtpReply.SmtpReply | undefined
    if (caps.pipelining) {
      // RFC 2920 §3.1: RSET, MAIL and RCPT may appear anywhere in a group, DATA only last. With BDAT the group
      // ends with the last RCPT; the chunks follow once a recipient was accepted.
      yield* conn.writeLines([...(pipelineReset ? ["RSET"] : []), mail, ...rcpts, ...(bdat ? [] : ["DATA"])], "sending MAIL/RCPT/DATA")
      if (pipelineReset) {
        const rset = yield* conn.read(timeouts.command, "to RSET").pipe(Effect.mapError((e) => new StaleConnection({ detail: e.detail })))
        if (!ok(rset.reply)) {
          conn.markBroken()
          return yield* new StaleConnection({ detail: `RSET answered ${rset.lines.join(" / ")}` })
        }
      }
      mailReply = (yield* conn.read(timeouts.mail, "to MAIL FROM")).reply
      stage = "RCPT"
      for (let i = 0; i < recipients.length; i++) {
        const r = (yield* conn.read(timeouts.rcpt, "to RCPT TO")).reply
        if (ok(r) && ok(mailReply)) accepted.push(i)
        else if (ok(mailReply)) decided.set(i, verdict(r, "RCPT"))
      }
      if (!bdat) {
        stage = "DATA"
        dataReply = (yield* conn.read(timeouts.dataInit, "to DATA", true)).reply
      }
    } else {
      mailReply = (yield* conn.command(mail, timeouts.mail, "MAIL FROM")).reply
      if (ok(mailReply)) {
        stage = "RCPT"
        for (const [i, line] of rcpts.entries()) {
          const r = (yield* conn.command(line, timeouts.rcpt, "RCPT TO")).reply
          if (ok(r)) accepted.push(i)
          else decided.set(i, verdict(r, "RCPT"))
        }
        if (accepted.length > 0 && !bdat) {
          stage = "DATA"
          dataReply = (yield* conn.command("DATA", timeouts.dataInit, "DATA", true)).reply
        }
      }
    }

    if (!ok(mailReply)) {
      recipients.forEach((_, i) => decided.set(i, verdict(mailReply, "MAIL")))
    }
    if (bdat) {
      // No DATA to cancel: without an accepted recipient, nothing more is sent.
      if (accepted.length === 0 || !ok(mailReply)) return
      stage = "message"
      const final = yield* sendChunks(conn, message, timeouts, caps.pipelining)
      for (const i of accepted) decided.set(i, verdict(final, "message"))
      return
    }
    if (dataReply === undefined) return
    if (dataReply.code !== 354) {
      // Only a refusal is a verdict; any other answer (a 2yz, another 3yz) leaves the message unsent.
      if (!SmtpReply.isTransient(dataReply) && !SmtpReply.isPermanent(dataReply)) return yield* ReplyReader.unexpected("to DATA", dataReply)
      for (const i of accepted) decided.set(i, verdict(dataReply, "DATA"))
      return
    }
    if ((accepted.length === 0 || !ok(mailReply)) && conn.protocol === "lmtp") {
      // RFC 2033 §4.2 has DATA refused without a valid recipient; a server that says 354 anyway gets an empty
      // message, whose reply count LMTP leaves undefined: the session is not reused.
      yield* conn.write(Buffer.from(".\r\n"), timeouts.dataBlock, "empty DATA")
      conn.markBroken()
      return
    }
    if (accepted.length === 0 || !ok(mailReply)) {
      // RFC 2920 §3.1: a server that says 354 with no valid recipient gets an empty message, and we ignore its reply.
      yield* conn.write(Buffer.from(".\r\n"), timeouts.dataBlock, "empty DATA", 1)
      yield* conn.read(timeouts.dataTermination, "to the end of an empty DATA")
      return
    }
    stage = "message"
    if (conn.protocol === "lmtp") {
      yield* sendBody(conn, message, timeouts, accepted.length)
      for (const i of accepted) {
        const reply = (yield* conn.read(timeouts.dataTermination, "to the end of data")).reply
        decided.set(i, verdict(reply, "message"))
      }
      return
    }
    yield* sendBody(conn, message, timeouts, 1)
    const final = (yield* conn.read(timeouts.dataTermination, "to the end of data")).reply
    for (const i of accepted) decided.set(i, verdict(final, "message"))
  })

  const broken = yield* exchange.pipe(
    Effect.as<SessionError | undefined>(undefined),
    Effect.catchTag("SessionError", (e) => Effect.succeed(e))
  )
  if (broken !== undefined) {
    conn.markBroken()
    const reply = sessionReply(broken, where)
    recipients.forEach((_, i) => {
      if (!decided.has(i)) decided.set(i, { reply, stage, synthetic: true })
    })
  }
  return recipients.map((r, i) => {
    const v = decided.get(i) ?? { reply: Replies.noVerdict(where), stage, synthetic: true }
    return DeliveryResult.classify(r, v.reply, v.stage, v.synthetic)
  })
})

/** The synthetic 4yz for a broken session (see the transaction replies of {@link Replies}). */
const sessionReply = (e: SessionError, where: string): SmtpReply.SmtpReply => {
  switch (e.reason) {
    case "timeout":
      return Replies.sessionTimeout(where, e.detail)
    case "source":
      return Replies.messageReadFailed(e.detail)
    case "protocol":
      return Replies.protocolError(where, e.detail)
    case "unexpected":
      return Replies.unexpectedReply(where, e.detail)
    default:
      return Replies.connectionLost(where, e.detail)
  }
}

/**
 * Streams the message through the dot-stuffer, one bounded write per block, then the terminating `.CRLF`, which
 * asks for `replies` replies (1 in SMTP, one per accepted recipient in LMTP).
 */
const sendBody = Effect.fnUntraced(function*(conn: SmtpConnection, message: MessageBody, timeouts: Timeouts, replies: number) {
  const stuffer = DotStuffer.make()
  const writeChunk = (chunk: Uint8Array) => {
    const out = stuffer.push(chunk)
    return out.length === 0 ? Effect.void : conn.write(out, timeouts.dataBlock, "message data")
  }
  if (message instanceof Uint8Array) {
    // The last block goes out with the terminating ".CRLF" in one write: one syscall less per message (a small
    // message is then one write), measured in docs/benchmarks.md, "Profile and optimisations".
    for (let off = 0; off < message.length; off += blockSize) {
      const out = stuffer.push(message.subarray(off, off + blockSize))
      if (off + blockSize >= message.length) {
        return yield* conn.write(out.length === 0 ? stuffer.end() : Buffer.concat([out, stuffer.end()]), timeouts.dataBlock, "end of data", replies)
      }
      if (out.length > 0) yield* conn.write(out, timeouts.dataBlock, "message data")
    }
  } else {
    yield* Stream.runForEach(
      Stream.mapError(message, (cause) => sourceError(cause)),
      writeChunk
    )
  }
  yield* conn.write(stuffer.end(), timeouts.dataBlock, "end of data", replies)
})

const bdatHeader = (size: number, last: boolean) => Buffer.from(`BDAT ${size}${last ? " LAST" : ""}\r\n`, "latin1")

/**
 * Sends the message by BDAT (RFC 3030 §2): the octets as stored (no dot-stuffing, no end-of-data line), in chunks
 * of at most one block, each with its command line in one write, the last chunk (or `BDAT 0 LAST` after a stream)
 * marked LAST. With PIPELINING every chunk goes out before the replies are read; without it each chunk waits for
 * its reply and none is sent after a refusal. Every reply is read (the session stays in step); the verdict is the
 * first refusal, else the reply to LAST.
 */
const sendChunks = Effect.fnUntraced(function*(
  conn: SmtpConnection,
  message: MessageBody,
  timeouts: Timeouts,
  pipelining: boolean
) {
  let due = 0
  let lastSent = false
  let refusal: SmtpReply.SmtpReply | undefined
  let final: SmtpReply.SmtpReply | undefined
  const readDue = Effect.gen(function*() {
    for (; due > 0; due--) {
      // The reply to LAST comes once the server has stored the message: the end-of-data timeout, as after DATA.
      const reply = (yield* conn.read(due === 1 && lastSent ? timeouts.dataTermination : timeouts.dataBlock, "to BDAT")).reply
      if (!ok(reply)) refusal ??= reply
      final = reply
    }
  })
  const chunk = (bytes: Uint8Array, last: boolean) =>
    Effect.gen(function*() {
      if (refusal !== undefined) return
      const header = bdatHeader(bytes.length, last)
      yield* conn.write(bytes.length === 0 ? header : Buffer.concat([header, bytes]), timeouts.dataBlock, last ? "last BDAT chunk" : "BDAT chunk", 1)
      due++
      lastSent = last
      if (!pipelining) yield* readDue
    })
  if (message instanceof Uint8Array) {
    if (message.length === 0) yield* chunk(message, true)
    for (let off = 0; off < message.length; off += blockSize) {
      yield* chunk(message.subarray(off, off + blockSize), off + blockSize >= message.length)
    }
  } else {
    yield* Stream.runForEach(Stream.mapError(message, (cause) => sourceError(cause)), (piece) =>
      Effect.gen(function*() {
        for (let off = 0; off < piece.length; off += blockSize) yield* chunk(piece.subarray(off, off + blockSize), false)
      }))
    yield* chunk(new Uint8Array(0), true)
  }
  yield* readDue
  return refusal ?? final ?? SmtpReply.make(451, "4.5.0", "no reply to BDAT")
})

const sourceError = (cause: unknown): SessionError => {
  const detail = cause instanceof Error ? cause.message : String(cause)
  // A failed source leaves DATA half-sent: the only safe exit is to drop the connection (done by the caller).
  return new SessionError({ reason: "source", detail })
}
