/**
 * Hook arguments as the server would hand them to plugins, for unit tests of hooks without a socket:
 * a `Connection`, a `Transaction` with accepted recipients, and a received `Message` with parsed headers.
 *
 * ```ts
 * const txn = TestSession.transaction(TestSession.connection({ user: "alice" }), ["bob@example.test"])
 * const verdict = yield* pipeline.rcptTo(txn, TestSession.recipient("carol@other.test"))
 * ```
 *
 * @since 0.1.0
 */
import { type Message, Notes, type Session } from "@cartero/core"
import { Headers } from "@cartero/mime"
import { Address, Envelope } from "@cartero/smtp"
import { Result } from "effect"

/** A connection from 203.0.113.5 to the MX listener, greeted as `client.test`, plain text, not authenticated. */
export const connection = (overrides: Partial<Omit<Session.Connection, "notes">> = {}): Session.Connection => ({
  id: "conn-1",
  listener: "mx",
  remoteAddress: "203.0.113.5",
  remotePort: 40000,
  localAddress: "127.0.0.1",
  localPort: 2525,
  clientHostname: undefined,
  helo: "client.test",
  esmtp: true,
  secure: false,
  user: undefined,
  trusted: false,
  ...overrides,
  notes: Notes.makeStore()
})

/** Parses a mailbox (UTF-8 allowed), throwing on a malformed one: test data is known to be valid. */
export const address = (text: string): Address.Address => {
  const parsed = Address.parseMailbox(text, { smtpUtf8: true })
  if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
  return parsed.success
}

/** A recipient without parameters. */
export const recipient = (text: string): Envelope.Recipient => ({ address: address(text) })

/** A transaction on `conn` from `sender@remote.test`, with `recipients` already accepted. */
export const transaction = (
  conn: Session.Connection,
  recipients: ReadonlyArray<string> = [],
  overrides: Partial<Omit<Session.Transaction, "notes" | "connection" | "recipients">> = {}
): Session.Transaction => ({
  id: "txn-1",
  mailFrom: address("sender@remote.test"),
  params: Envelope.defaultParams,
  ...overrides,
  connection: conn,
  recipients: recipients.map(recipient),
  notes: Notes.makeStore()
})

/**
 * A received message as the server hands it to `message` hooks and stores: `raw` as received, its header block
 * parsed on demand (as the server does, with `@cartero/mime`'s `Headers.view`), `prepend` the header lines added
 * above it (the server's `Received:`, plugins' headers).
 */
export const message = (prepend: string, raw: string | Uint8Array): Message.Message => {
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw
  return { headers: Headers.view(bytes), prepend, raw: bytes }
}
