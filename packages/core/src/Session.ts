/**
 * What hooks see of an SMTP session: the connection and the transaction in progress.
 *
 * These are read-only views for plugins; the server updates its own state and hands each hook the current view.
 * Per-connection and per-transaction data shared between plugins goes into typed notes (`Notes.make`).
 *
 * @since 0.1.0
 */
import type { Address, Envelope } from "@cartero/smtp"
import type { Redacted } from "effect"
import type { HasNotes, NoteStore } from "./Notes.ts"

/** The kind of listener a connection arrived on; it decides TLS/AUTH rules and relaying defaults. */
export type ListenerKind = "mx" | "submission" | "smtps"

/** A client connection. */
export interface Connection extends HasNotes {
  /** Session id; it appears in every log line of the session and in the Received header. */
  readonly id: string
  readonly listener: ListenerKind
  readonly remoteAddress: string
  readonly remotePort: number
  readonly localAddress: string
  readonly localPort: number
  /** Reverse DNS name of the client when looked up (off by default), else undefined. */
  readonly clientHostname: string | undefined
  /** The HELO/EHLO argument, once given. */
  readonly helo: string | undefined
  /** Whether the client used EHLO (ESMTP). */
  readonly esmtp: boolean
  /** Whether the connection is encrypted (implicit TLS or after STARTTLS). */
  readonly secure: boolean
  /** The authenticated user, after a successful AUTH. */
  readonly user: string | undefined
  /** The listener is configured as trusted (e.g. a local submission socket): AUTH allowed without TLS. */
  readonly trusted: boolean
  readonly notes: NoteStore
}

/** One mail transaction (MAIL FROM … end of DATA) on a connection. */
export interface Transaction extends HasNotes {
  /** Transaction id; becomes the queue id of the message. */
  readonly id: string
  readonly connection: Connection
  /** The reverse path; `null` is the null sender `<>`. */
  readonly mailFrom: Address.Address | null
  readonly params: Envelope.MailParams
  /** Recipients accepted so far, in order. */
  readonly recipients: ReadonlyArray<Envelope.Recipient>
  readonly notes: NoteStore
}

/** The HELO/EHLO command. */
export interface Helo {
  readonly verb: "HELO" | "EHLO"
  readonly domain: string
}

/** An AUTH attempt. The password never appears in logs (it is not part of any rendered value). */
export interface AuthAttempt {
  readonly method: string
  readonly username: string
  /** Checks a candidate password against the one the client sent (constant-time where the mechanism allows). */
  readonly verify: (password: string) => boolean
  /**
   * The password the client sent, for plugins that store only hashes (they must hash what the client sent; a
   * verifier of candidates is of no use to them). Present for PLAIN and LOGIN; absent for CRAM-MD5, where the
   * client never sends the password (only `verify` works there). Redacted, so logging it prints `<redacted>`.
   */
  readonly password?: Redacted.Redacted<string> | undefined
}
