/**
 * What Cartero adds to an `SMTPServer` instance, for the prototype patches (ReplyPatch, CommandPatch) to find.
 *
 * smtp-server has no hooks for HELO/EHLO, for long command lines or for choosing enhanced status codes, so a few
 * `SMTPConnection` methods are wrapped once per process. The wrappers look up the connection's server here: a server
 * that was not registered (another `SMTPServer` in the same process, e.g. a test sink) behaves exactly as the
 * unpatched library.
 *
 * @since 0.1.0
 */
import type { SmtpReply } from "@cartero/smtp"
import type { SMTPServer, SMTPServerError, SMTPServerSession } from "smtp-server"
import type { ListenerLimits } from "./ListenerLimits.ts"

/** The outcome of a phase run before smtp-server handles the command (`helo`, `data`). */
export type HeloOutcome =
  /** Let smtp-server answer (EHLO: 250 and the keywords; DATA: 354). */
  | { readonly _tag: "Proceed" }
  /** Answer this instead (after a refused HELO the client is not considered greeted). */
  | { readonly _tag: "Refuse"; readonly reply: SmtpReply.SmtpReply }

/** Per-server callbacks used by the patched connection methods. */
export interface ServerExtension {
  /**
   * Set when shutdown starts: a session without a transaction in progress gets `421 4.3.2` at its next command,
   * one with a transaction may finish it.
   */
  draining: boolean
  /** DSN (RFC 3461) is advertised: MAIL/RCPT lines get their DSN parameters checked before smtp-server parses them. */
  readonly dsn: boolean
  /** Longest accepted command line, octets without the line ending. */
  readonly maxLineLength: number
  /** The connection and session limits of the listener. */
  readonly limits: ListenerLimits
  /** Called with every command line before smtp-server dispatches it (MAIL/RCPT parsing needs the raw path). */
  readonly onCommandLine: (session: SMTPServerSession, line: Buffer) => void
  /** Runs the `helo` phase; `resume` is called exactly once. */
  readonly helo: (
    session: SMTPServerSession,
    verb: "HELO" | "EHLO",
    domain: string,
    resume: (outcome: HeloOutcome) => void
  ) => void
  /** Runs the `data` phase at the DATA command, before smtp-server sends `354`; `resume` is called exactly once. */
  readonly data: (session: SMTPServerSession, resume: (outcome: HeloOutcome) => void) => void
  /** Whether AUTH may be offered (EHLO) and used on this session right now. */
  readonly authAvailable: (session: SMTPServerSession, secure: boolean) => boolean
  /** The refusal for an AUTH command when {@link authAvailable} is false. */
  readonly authUnavailable: (session: SMTPServerSession, secure: boolean) => SmtpReply.SmtpReply
  /** A success reply chosen by a hook (`Accept` with a reply), taken once by the next 2yz the library sends. */
  readonly takeSuccessReply: (session: SMTPServerSession) => SmtpReply.SmtpReply | undefined
  /** CHUNKING (RFC 3030) on this listener, or `undefined` when it is off (BDAT is then an unknown command). */
  readonly chunking: Chunking | undefined
}

/** BDAT on a listener (see `ChunkingPatch`); the application side of a transfer. */
export interface Chunking {
  /** BINARYMIME (RFC 3030 §3) is advertised and `BODY=BINARYMIME` accepted. */
  readonly binaryMime: boolean
  /**
   * The first BDAT of a transaction: runs the `data` phase, then `resume` gets the transfer that takes the
   * chunks, or the refusal (the chunk is then read and discarded, and the transaction is over).
   */
  readonly begin: (session: SMTPServerSession, resume: (outcome: Transfer | HeloOutcome & { _tag: "Refuse" }) => void) => void
}

/** The message of one BDAT transaction while its chunks arrive. */
export interface Transfer {
  readonly _tag: "Transfer"
  /** Takes chunk octets; `false`: stop reading until {@link drained} resolves. */
  readonly push: (bytes: Buffer) => boolean
  readonly drained: () => Promise<void>
  /** After a chunk that is not the last: a refusal when the message already failed a check (size, line endings). */
  readonly check: () => SmtpReply.SmtpReply | undefined
  /**
   * After the LAST chunk: the checks, then `message` → `queue`; `resume` is called once, as smtp-server's `onData`
   * callback (an error carrying the refusal, or the success reply's text).
   */
  readonly finish: (resume: (err: SMTPServerError | null | undefined, message?: string) => void) => void
  /** The transaction ended without LAST (RSET, refusal, disconnect): drops what was received. Idempotent. */
  readonly discard: () => void
}

const registry = new WeakMap<SMTPServer, ServerExtension>()

/** Attaches the extension to a server (before it accepts connections). */
export const register = (server: SMTPServer, extension: ServerExtension): void => {
  registry.set(server, extension)
}

/** The extension of a server, if it is one of ours. */
export const lookup = (server: SMTPServer): ServerExtension | undefined => registry.get(server)
