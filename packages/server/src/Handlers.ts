/**
 * The smtp-server callbacks of one listener, bridged to the plugin pipeline: connect, STARTTLS, AUTH, MAIL, RCPT,
 * close, and (through `ServerExtension`) HELO/EHLO. DATA is in `DataHandler`.
 *
 * Verdict → reply: `Continue`/`Accept` → success (an `Accept` carrying a reply replaces smtp-server's default
 * success reply), `Reject`/`Defer` → the verdict's reply, `Disconnect` → its 421, after which smtp-server closes
 * the connection.
 *
 * @since 0.1.0
 */
import { Notes, type Pipeline, type Session } from "@cartero/core"
import { LogGate } from "@cartero/hotpath"
import { Address, type Envelope, type SmtpReply, Verdict } from "@cartero/smtp"
import { Duration, Effect, Redacted, Result } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import type {
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerAuthenticationResponse,
  SMTPServerError,
  SMTPServerSession
} from "smtp-server"
import type { Bridge } from "./Bridge.ts"
import * as EventLog from "./EventLog.ts"
import type { ListenerLimits } from "./ListenerLimits.ts"
import * as Replies from "./Replies.ts"
import * as ReplyPatch from "./ReplyPatch.ts"
import type { ServerExtension } from "./ServerExtension.ts"
import type { ResolvedListener, ResolvedOptions } from "./ServerOptions.ts"
import * as SessionState from "./SessionState.ts"
import * as TransactionId from "./TransactionId.ts"

/** What the handlers of one listener share. */
export interface Context {
  readonly options: ResolvedOptions
  readonly listener: ResolvedListener
  readonly pipeline: Pipeline.PipelineShape
  readonly bridge: Bridge
  /** TLS material is configured (STARTTLS offered, or implicit TLS). */
  readonly tls: boolean
  /** Connection state by smtp-server session object (one per connection, kept across RSET/STARTTLS). */
  readonly states: WeakMap<SMTPServerSession, SessionState.ConnState>
  /** The connection and session limits of the listener (failed AUTH are counted there). */
  readonly limits: ListenerLimits
}

type Callback = (err?: SMTPServerError | null) => void

/** The success reply a hook chose, if any. */
export const successReply = (verdict: Verdict.Continue | Verdict.Accept): SmtpReply.SmtpReply | undefined =>
  verdict._tag === "Accept" ? verdict.reply : undefined

/** Calls a success callback with a hook-chosen success reply in place for the reply smtp-server sends inside it. */
export const succeed = (state: SessionState.ConnState, reply: SmtpReply.SmtpReply | undefined, call: () => void) => {
  state.successReply = reply
  try {
    call()
  } finally {
    state.successReply = undefined
  }
}

/** Answers a MAIL/RCPT/connect callback from a verdict; `refused` is told of a refusal. */
const answer = (
  state: SessionState.ConnState,
  callback: Callback,
  verdict: Verdict.Verdict,
  refused: (verdict: Verdict.Refusal) => void,
  onSuccess?: () => void
) => {
  if (Verdict.isSuccess(verdict)) {
    onSuccess?.()
    return succeed(state, successReply(verdict), () => callback())
  }
  refused(verdict)
  return callback(ReplyPatch.toError(verdict.reply))
}

// The path as the client wrote it: smtp-server's parsed address is already IDN-decoded and without brackets. A
// quoted local part may hold spaces and `>` (`<"john doe"@example.com>`): Address.splitPath finds the real end.
const verbPrefix = /^\s*(?:MAIL\s+FROM|RCPT\s+TO)\s*:\s*/i
const rawPath = (line: string): string => {
  const verb = verbPrefix.exec(line)
  return verb === null ? "" : Address.splitPath(line.slice(verb[0].length))?.path ?? ""
}

const mailParamNames = new Set(["SIZE", "BODY", "SMTPUTF8", "AUTH"])
const rcptParamNames = new Set<string>()

const unsupported = (args: SMTPServerAddress["args"], allowed: ReadonlySet<string>): string | undefined =>
  args === false ? undefined : Object.keys(args).find((k) => !allowed.has(k))

/** MAIL FROM parameters, as validated by smtp-server (SIZE digits, BODY 7BIT/8BITMIME, SMTPUTF8 without value). */
export const mailParams = (args: SMTPServerAddress["args"]): Envelope.MailParams => {
  if (args === false) return { smtpUtf8: false }
  const body = typeof args.BODY === "string" ? args.BODY.toUpperCase() : undefined
  return {
    smtpUtf8: args.SMTPUTF8 === true,
    ...(typeof args.SIZE === "string" ? { size: Number(args.SIZE) } : {}),
    ...(body === "7BIT" || body === "8BITMIME" ? { body } : {})
  }
}

const addressError = (error: Address.AddressError, bad: (detail: string) => SmtpReply.SmtpReply) =>
  error.reason === "Utf8NotAllowed" ? Replies.utf8NotPermitted : bad(error.detail)

// Constant-time comparison of the password the client sent with a candidate (hashing makes the lengths equal).
const samePassword = (sent: string | null | undefined, candidate: string): boolean =>
  typeof sent === "string" &&
  timingSafeEqual(createHash("sha256").update(sent).digest(), createHash("sha256").update(candidate).digest())

/** The smtp-server callbacks and the command extension of one listener. */
export const make = (ctx: Context) => {
  const { bridge, limits, listener, options, pipeline, states } = ctx
  const log = (state: SessionState.ConnState, effect: Effect.Effect<void>) => bridge.fire(state.session.id, effect)
  // A refusal's log line (EventLog), for a verdict a plugin or the pipeline decided.
  const refusedBy = (state: SessionState.ConnState, phase: EventLog.Phase, txn?: SessionState.TxnState, recipient?: Envelope.Recipient) =>
  (verdict: Verdict.Refusal) =>
    log(state, EventLog.refused(state, { phase, reply: verdict.reply, plugin: EventLog.pluginOf(verdict), txn, recipient }))
  // The server's own refusal (before any plugin is asked), logged and answered.
  const refuseOwn = (
    state: SessionState.ConnState,
    callback: Callback,
    reply: SmtpReply.SmtpReply,
    phase: EventLog.Phase,
    txn?: SessionState.TxnState,
    recipient?: Envelope.Recipient
  ) => {
    log(state, EventLog.refused(state, { phase, reply, plugin: EventLog.server, txn, recipient }))
    return callback(ReplyPatch.toError(reply))
  }

  const authAvailable = (secure: boolean) =>
    listener.auth !== "off" && options.authMethods.length > 0 && (secure || listener.trusted)

  const extension: ServerExtension = {
    draining: false,
    maxLineLength: options.maxLineLength,
    limits,
    onCommandLine: (session, line) => {
      // Only MAIL/RCPT lines are kept: an AUTH line carries credentials that have no business staying in memory.
      const state = states.get(session)
      if (state !== undefined && /^\s*(?:MAIL|RCPT)\b/i.test(line.toString("latin1", 0, 16))) {
        state.lastCommand = line.toString("utf8")
      }
    },
    helo: (session, verb, domain, resume) => {
      const state = states.get(session)
      if (state === undefined) return resume({ _tag: "Proceed" })
      bridge.decide(session.id, pipeline.helo(SessionState.connection(state), { verb, domain }), (verdict) => {
        if (Verdict.isSuccess(verdict)) {
          state.helo = domain.toLowerCase()
          state.esmtp = verb === "EHLO"
          state.txn = undefined
          return resume({ _tag: "Proceed" })
        }
        refusedBy(state, "helo")(verdict)
        resume({ _tag: "Refuse", reply: verdict.reply })
      })
    },
    data: (session, resume) => {
      const state = states.get(session)
      const txn = state === undefined ? undefined : SessionState.currentTxn(state)
      if (state === undefined || txn === undefined) return resume({ _tag: "Proceed" })
      bridge.decide(session.id, pipeline.data(SessionState.transaction(state, txn)), (verdict) => {
        if (!Verdict.isSuccess(verdict)) {
          refusedBy(state, "data", txn)(verdict)
          return resume({ _tag: "Refuse", reply: verdict.reply })
        }
        txn.dataHeaders = Verdict.headersOf(verdict)
        resume({ _tag: "Proceed" })
      })
    },
    authAvailable: (_session, secure) => authAvailable(secure),
    authUnavailable: () =>
      listener.auth === "off" || options.authMethods.length === 0
        ? Replies.authNotEnabled
        : ctx.tls
        ? Replies.startTlsFirst
        : Replies.encryptionRequired,
    takeSuccessReply: (session) => {
      const state = states.get(session)
      if (state === undefined) return undefined
      const reply = state.successReply
      state.successReply = undefined
      return reply
    }
  }

  const onConnect = (session: SMTPServerSession, callback: Callback): void => {
    const state = SessionState.make(session, listener, options.reverseDns)
    states.set(session, state)
    const connection = SessionState.connection(state)
    const effect = LogGate.whenEnabled("Debug", () =>
      Effect.logDebug("connect").pipe(Effect.annotateLogs({ remote: connection.remoteAddress, listener: listener.kind }))).pipe(
        Effect.andThen(pipeline.connect(connection))
      )
    bridge.decide(session.id, effect, (verdict) => answer(state, callback, verdict, refusedBy(state, "connect")))
  }

  const onSecure = (_socket: unknown, session: SMTPServerSession, callback: Callback): void => {
    limits.metrics.tlsEstablished(listener.kind === "smtps" ? "implicit" : "starttls")
    // RFC 3207 §4.2: forget what the client said before TLS (smtp-server resets its own copy likewise).
    const state = states.get(session)
    if (state !== undefined) {
      state.helo = undefined
      state.esmtp = false
      state.user = undefined
      state.txn = undefined
      log(state, Effect.logDebug("TLS established"))
    }
    callback()
  }

  const onAuth = (
    auth: SMTPServerAuthentication,
    session: SMTPServerSession,
    callback: (err: SMTPServerError | null | undefined, response?: SMTPServerAuthenticationResponse) => void
  ): void => {
    const state = states.get(session)
    const username = auth.username ?? ""
    if (state === undefined) return callback(ReplyPatch.toError(Replies.authInvalid))
    const attempt: Session.AuthAttempt = {
      method: auth.method,
      username,
      verify: (password) =>
        auth.method === "CRAM-MD5"
          ? typeof auth.validatePassword === "function" && auth.validatePassword(password)
          : samePassword(auth.password, password),
      // PLAIN/LOGIN carry the password itself; CRAM-MD5 only a digest, never to be mistaken for a password.
      password: auth.method !== "CRAM-MD5" && typeof auth.password === "string" ? Redacted.make(auth.password) : undefined
    }
    // The reply to a refused AUTH; `failures` counts this one.
    const refusal = (verdict: Verdict.Verdict, failures: number): SmtpReply.SmtpReply =>
      failures >= options.maxAuthFailures
        ? Replies.tooManyAuthFailures
        : Verdict.isSuccess(verdict)
        ? Replies.authInvalid
        : verdict.reply
    const effect = pipeline.auth(SessionState.connection(state), attempt).pipe(
      Effect.tap((verdict) =>
        verdict._tag === "Accept"
          ? Effect.logInfo("authenticated").pipe(Effect.annotateLogs({ user: username, method: auth.method }))
          : EventLog.refused(state, {
            phase: "auth",
            reply: refusal(verdict, state.authFailures + 1),
            plugin: EventLog.pluginOf(verdict),
            user: username
          }).pipe(
            // The n-th failure waits n × authFailureDelay: guessing gets slow before the disconnect.
            Effect.andThen(Effect.sleep(Duration.times(options.authFailureDelay, state.authFailures + 1)))
          )
      )
    )
    bridge.decide(session.id, effect, (verdict) => {
      if (verdict._tag === "Accept") {
        state.user = username
        return succeed(state, verdict.reply, () => callback(null, { user: username }))
      }
      state.authFailures++
      limits.authFailed(session.remoteAddress)
      callback(ReplyPatch.toError(refusal(verdict, state.authFailures)))
    })
  }

  const onMailFrom = (address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): void => {
    const state = states.get(session)
    if (state === undefined) return callback(ReplyPatch.toError(Replies.tempFail))
    if (listener.auth === "required" && state.user === undefined) return refuseOwn(state, callback, Replies.authRequired, "mailFrom")
    const extra = unsupported(address.args, mailParamNames)
    if (extra !== undefined) return refuseOwn(state, callback, Replies.unsupportedParameter(extra), "mailFrom")
    const params = mailParams(address.args)
    const parsed = Address.parsePath(rawPath(state.lastCommand), { smtpUtf8: params.smtpUtf8, allowNull: true })
    if (Result.isFailure(parsed)) return refuseOwn(state, callback, addressError(parsed.failure, Replies.badSender), "mailFrom")
    const txn: SessionState.TxnState = {
      id: TransactionId.make(),
      envelope: session.envelope,
      mailFrom: parsed.success,
      params,
      recipients: [],
      notes: Notes.makeStore(),
      dataHeaders: []
    }
    const effect = LogGate.whenEnabled("Debug", () =>
      Effect.logDebug("MAIL FROM").pipe(Effect.annotateLogs({ txn: txn.id, from: Address.formatPath(txn.mailFrom) }))).pipe(
        Effect.andThen(pipeline.mailFrom(SessionState.transaction(state, txn)))
      )
    bridge.decide(session.id, effect, (verdict) =>
      answer(state, callback, verdict, refusedBy(state, "mailFrom", txn), () => {
        state.txn = txn
      }))
  }

  const onRcptTo = (address: SMTPServerAddress, session: SMTPServerSession, callback: Callback): void => {
    const state = states.get(session)
    const txn = state === undefined ? undefined : SessionState.currentTxn(state)
    if (state === undefined || txn === undefined) return callback(ReplyPatch.toError(Replies.needMail))
    const extra = unsupported(address.args, rcptParamNames)
    if (extra !== undefined) return refuseOwn(state, callback, Replies.unsupportedParameter(extra), "rcptTo", txn)
    const path = rawPath(state.lastCommand)
    // RFC 5321 §4.1.1.3: the domain-less <Postmaster> must be accepted; it means this host's postmaster.
    const parsed = /^<postmaster>$/i.test(path)
      ? Result.succeed(Address.make("postmaster", options.hostname))
      : Address.parsePath(path, { smtpUtf8: txn.params.smtpUtf8 })
    if (Result.isFailure(parsed)) return refuseOwn(state, callback, addressError(parsed.failure, Replies.badRecipient), "rcptTo", txn)
    if (parsed.success === null) return refuseOwn(state, callback, Replies.badRecipient("empty path"), "rcptTo", txn)
    const recipient: Envelope.Recipient = { address: parsed.success }
    const effect = LogGate.whenEnabled("Debug", () =>
      Effect.logDebug("RCPT TO").pipe(Effect.annotateLogs({ txn: txn.id, to: Address.formatPath(recipient.address) }))).pipe(
        Effect.andThen(pipeline.rcptTo(SessionState.transaction(state, txn), recipient))
      )
    bridge.decide(session.id, effect, (verdict) =>
      answer(state, callback, verdict, refusedBy(state, "rcptTo", txn, recipient), () => {
        // smtp-server replaces a repeated recipient (case-insensitively); keep the same single entry.
        const key = Address.format(recipient.address).toLowerCase()
        const at = txn.recipients.findIndex((r) => Address.format(r.address).toLowerCase() === key)
        if (at >= 0) txn.recipients[at] = recipient
        else txn.recipients.push(recipient)
      }))
  }

  const onClose = (session: SMTPServerSession): void => {
    const state = states.get(session)
    if (state === undefined) return
    states.delete(session)
    bridge.fire(
      session.id,
      Effect.logDebug("disconnect").pipe(Effect.andThen(pipeline.disconnect(SessionState.connection(state))))
    )
  }

  return { extension, callbacks: { onConnect, onSecure, onAuth, onMailFrom, onRcptTo, onClose } }
}

