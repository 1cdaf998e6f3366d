/**
 * The server's own state of one connection and of its transaction in progress, and the read-only `Connection` /
 * `Transaction` views built from it for each hook call.
 *
 * smtp-server keeps its session object for the whole connection but replaces `session.envelope` whenever a
 * transaction ends (RSET, HELO/EHLO, end of DATA, STARTTLS). A transaction here remembers the envelope object it was
 * started on, so a transaction that smtp-server has reset is recognised as stale without tracking every command.
 *
 * @since 0.1.0
 */
import type { Session } from "@cartero/core"
import { Notes } from "@cartero/core"
import type { Address, Envelope, Header, SmtpReply } from "@cartero/smtp"
import type { SMTPServerSession } from "smtp-server"
import type { ResolvedListener } from "./ServerOptions.ts"

/** One mail transaction, MAIL FROM to end of DATA. */
export interface TxnState {
  readonly id: string
  /** The smtp-server envelope object the transaction belongs to. */
  readonly envelope: object
  readonly mailFrom: Address.Address | null
  readonly params: Envelope.MailParams
  readonly recipients: Array<Envelope.Recipient>
  readonly notes: Notes.NoteStore
  /** Headers the `data` phase asked to add, rendered into the message once it has been read. */
  dataHeaders: ReadonlyArray<Header.Header>
}

/** One connection. */
export interface ConnState {
  readonly session: SMTPServerSession
  readonly listener: ResolvedListener
  readonly notes: Notes.NoteStore
  readonly reverseDns: boolean
  helo: string | undefined
  esmtp: boolean
  user: string | undefined
  authFailures: number
  /** The last command line received (raw), for MAIL/RCPT path parsing. */
  lastCommand: string
  txn: TxnState | undefined
  /** A success reply chosen by a hook, consumed by the next 2yz smtp-server sends. */
  successReply: SmtpReply.SmtpReply | undefined
}

/** Fresh state for a new connection. */
export const make = (session: SMTPServerSession, listener: ResolvedListener, reverseDns: boolean): ConnState => ({
  session,
  listener,
  notes: Notes.makeStore(),
  reverseDns,
  helo: undefined,
  esmtp: false,
  user: undefined,
  authFailures: 0,
  lastCommand: "",
  txn: undefined,
  successReply: undefined
})

/** The transaction in progress, unless smtp-server has reset it since. */
export const currentTxn = (state: ConnState): TxnState | undefined =>
  state.txn !== undefined && state.txn.envelope === state.session.envelope ? state.txn : undefined

const clientHostname = (state: ConnState): string | undefined => {
  if (!state.reverseDns) return undefined
  const name: unknown = state.session.clientHostname
  // smtp-server stores "[ip]" when no name was found.
  return typeof name === "string" && name !== "" && !name.startsWith("[") ? name : undefined
}

/** The `Connection` view hooks see now. */
export const connection = (state: ConnState): Session.Connection => ({
  id: state.session.id,
  listener: state.listener.kind,
  remoteAddress: state.session.remoteAddress,
  remotePort: state.session.remotePort,
  localAddress: state.session.localAddress,
  localPort: state.session.localPort,
  clientHostname: clientHostname(state),
  helo: state.helo,
  esmtp: state.esmtp,
  secure: state.session.secure,
  user: state.user,
  trusted: state.listener.trusted,
  notes: state.notes
})

/** The `Transaction` view of `txn`. */
export const transaction = (state: ConnState, txn: TxnState): Session.Transaction => ({
  id: txn.id,
  connection: connection(state),
  mailFrom: txn.mailFrom,
  params: txn.params,
  recipients: [...txn.recipients],
  notes: txn.notes
})
