import { type Message, Notes, type Session } from "@cartero/core"
import { Address, Envelope } from "@cartero/smtp"
import { Result } from "effect"

/** A connection view as the server would hand it to hooks. */
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

/** A transaction on `conn`; recipients are added by the caller as the server would after an accepted RCPT. */
export const transaction = (conn: Session.Connection, recipients: ReadonlyArray<string> = []): Session.Transaction => ({
  id: "txn-1",
  connection: conn,
  mailFrom: address("sender@remote.test"),
  params: Envelope.defaultParams,
  recipients: recipients.map(recipient),
  notes: Notes.makeStore()
})

export const address = (text: string): Address.Address => {
  const parsed = Address.parseMailbox(text, { smtpUtf8: true })
  if (Result.isFailure(parsed)) throw new Error(parsed.failure.message)
  return parsed.success
}

export const recipient = (text: string): Envelope.Recipient => ({ address: address(text) })

/** A received message as the server hands it to `queue` hooks. */
export const message = (prepend: string, raw: string | Uint8Array): Message.Message => ({
  headers: { get: () => undefined, getAll: () => [] },
  prepend,
  raw: typeof raw === "string" ? new TextEncoder().encode(raw) : raw
})
