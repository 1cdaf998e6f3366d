/**
 * Hook arguments as Cartero hands them to plugins, for unit tests of hooks without a socket. Inbound: a
 * `Connection`, a `Transaction` with accepted recipients, a received `Message` with parsed headers. Outbound: the
 * claim a delivery worker is working on (`claim`) and what `beforeSend` sees of it (`send`).
 *
 * ```ts
 * const txn = TestSession.transaction(TestSession.connection({ user: "alice" }), ["bob@example.test"])
 * const verdict = yield* pipeline.rcptTo(txn, TestSession.recipient("carol@other.test"))
 * const route = yield* outbound.route(TestSession.claim(["bob@internal.test"]))
 * ```
 *
 * @since 0.1.0
 */
import { Message, Notes, type Session } from "@cartero/core"
import { Headers } from "@cartero/mime"
import { Address, Envelope } from "@cartero/smtp"
import { Effect, Result } from "effect"

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
 * A received message as the server hands it to `message` hooks and stores: in memory as received, its header block
 * parsed on demand (as the server does, with `@cartero/mime`'s `Headers.view`), `prepend` the header lines added
 * above it (the server's `Received:`, plugins' headers).
 */
export const message = (prepend: string, raw: string | Uint8Array): Message.Message => {
  const bytes = typeof raw === "string" ? new TextEncoder().encode(raw) : raw
  return Message.inMemory(Headers.view(bytes), prepend, bytes)
}

/** A claim as outbound hooks see it (`@cartero/delivery`'s `ClaimContext`): one message, one destination domain. */
export interface Claim {
  readonly messageId: string
  readonly domain: string
  readonly envelope: Envelope.Envelope
  readonly traceId: string
}

/** The claim of a message from `sender@remote.test` to `recipients` (all of one domain, the claim's). */
export const claim = (recipients: ReadonlyArray<string>, overrides: Partial<Claim> = {}): Claim => {
  const rcpts = recipients.map(recipient)
  return {
    messageId: "msg-1",
    domain: rcpts[0]?.address.domain.toLowerCase() ?? "example.test",
    envelope: Envelope.make(address("sender@remote.test"), rcpts),
    traceId: "trace-1",
    ...overrides
  }
}

/** What `beforeSend` sees of a claim (`@cartero/delivery`'s `SendContext`): the claim and the queued message. */
export const send = (recipients: ReadonlyArray<string>, raw: string | Uint8Array, overrides: Partial<Claim> = {}) => ({
  ...claim(recipients, overrides),
  message: Effect.succeed(typeof raw === "string" ? new TextEncoder().encode(raw) : raw)
})
